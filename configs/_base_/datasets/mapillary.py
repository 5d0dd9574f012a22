# Mapillary Vistas v1.2 validation (2,000 images) on the 19 Cityscapes classes.
mapillary_root = 'data/mapillary'
mapillary_val = dict(
    type='MapillaryCS19Dataset',
    data_root=mapillary_root,
    data_prefix=dict(img_path='validation/images', seg_map_path='validation/labels_cs19'))
