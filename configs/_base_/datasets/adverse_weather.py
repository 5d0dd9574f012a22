# The adverse-weather test sets of the FisherTune paper's Table 3 (Cityscapes train ids, 255 =
# ignore; layouts in docs/datasets.md). ACDC-Rain / ACDC-Snow are ACDCDataset(conditions=...).
foggy_zurich_val = dict(type='FoggyZurichDataset', data_root='data/foggy_zurich')
foggy_driving_val = dict(
    type='FoggyDrivingDataset', data_root='data/foggy_driving', annotations='all')
dark_zurich_val = dict(
    type='DarkZurichDataset',
    data_root='data/dark_zurich',
    data_prefix=dict(img_path='rgb_anon/val/night', seg_map_path='gt/val/night'))
night_driving_val = dict(
    type='NightDrivingDataset',
    data_root='data/nighttime_driving',
    data_prefix=dict(
        img_path='leftImg8bit/test/night', seg_map_path='gtCoarse_daytime_trainvaltest/test/night'))
