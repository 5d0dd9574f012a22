# SYNTHIA-RAND-CITYSCAPES (16-class protocol, see docs/datasets.md).
synthia_root = 'data/synthia'
synthia_train = dict(type='SynthiaDataset', data_root=synthia_root)
synthia_val = dict(type='SynthiaDataset', data_root=synthia_root)
