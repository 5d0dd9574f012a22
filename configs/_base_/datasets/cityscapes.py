# Cityscapes (mmseg's CityscapesDataset; labels by mmseg's tools/dataset_converters/cityscapes.py).
cityscapes_root = 'data/cityscapes'
cityscapes_train = dict(
    type='CityscapesDataset',
    data_root=cityscapes_root,
    data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'))
cityscapes_val = dict(
    type='CityscapesDataset',
    data_root=cityscapes_root,
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'))
