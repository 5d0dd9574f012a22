# BDD100K semantic segmentation, 1,000 validation images (mmseg's BDD100KDataset).
bdd100k_root = 'data/bdd100k'
bdd100k_val = dict(
    type='BDD100KDataset',
    data_root=bdd100k_root,
    data_prefix=dict(img_path='images/10k/val', seg_map_path='labels/sem_seg/masks/val'))
