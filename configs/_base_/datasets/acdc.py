# ACDC validation, all four conditions (or set conditions='fog' | 'night' | 'rain' | 'snow').
acdc_root = 'data/acdc'
acdc_val = dict(type='ACDCDataset', data_root=acdc_root, conditions='all', split='val')
