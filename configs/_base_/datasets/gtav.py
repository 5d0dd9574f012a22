# GTAV source (train split written by tools/dataset_converters/gtav.py --split-mat).
gtav_root = 'data/gtav'
gtav_train = dict(type='GTAVDataset', data_root=gtav_root, ann_file='train.txt')
# GTAV as a target (Table 5: Cityscapes -> GTAV): the validation split.
gtav_val = dict(type='GTAVDataset', data_root=gtav_root, ann_file='val.txt')
