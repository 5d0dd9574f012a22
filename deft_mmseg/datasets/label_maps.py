"""Label-id tables shared by the dataset classes, the converters and the demo generator.

All datasets of this plugin are evaluated on the 19 Cityscapes training classes (train ids 0..18,
255 = ignore). The tables below map each dataset's own label ids to those train ids.
"""
import numpy as np

IGNORE_INDEX = 255

#: Cityscapes label id -> train id (the official ``labels.py`` of cityscapesScripts). GTAV's label
#: PNGs use these same label ids.
CITYSCAPES_ID_TO_TRAINID = {
    7: 0,
    8: 1,
    11: 2,
    12: 3,
    13: 4,
    17: 5,
    19: 6,
    20: 7,
    21: 8,
    22: 9,
    23: 10,
    24: 11,
    25: 12,
    26: 13,
    27: 14,
    28: 15,
    31: 16,
    32: 17,
    33: 18,
}

#: SYNTHIA (RAND-CITYSCAPES, README.txt of the release) class id -> Cityscapes train id. SYNTHIA has
#: no terrain (9), truck (14) or train (16) pixels: hence the 16-class protocol.
SYNTHIA_ID_TO_TRAINID = {
    3: 0,
    4: 1,
    2: 2,
    21: 3,
    5: 4,
    7: 5,
    15: 6,
    9: 7,
    6: 8,
    1: 10,
    10: 11,
    17: 12,
    8: 13,
    19: 15,
    12: 17,
    11: 18,
}

#: The 16 Cityscapes train ids SYNTHIA annotates (all but terrain, truck, train).
SYNTHIA_16_TRAIN_IDS = tuple(sorted(SYNTHIA_ID_TO_TRAINID.values()))

#: Mapillary Vistas v1.2 (66 classes, ids in the order of its ``config.json``) -> Cityscapes train
#: id. Classes Cityscapes does not have (animals, water, parking, rail track, banner, ...) are
#: ignored (255). Documented in docs/datasets.md.
MAPILLARY_V12_ID_TO_TRAINID = {
    13: 0,  # Road
    7: 0,  # Bike Lane
    8: 0,  # Crosswalk - Plain
    14: 0,  # Service Lane
    23: 0,  # Lane Marking - Crosswalk
    24: 0,  # Lane Marking - General
    41: 0,  # Manhole
    2: 1,  # Curb
    9: 1,  # Curb Cut
    11: 1,  # Pedestrian Area
    15: 1,  # Sidewalk
    17: 2,  # Building
    6: 3,  # Wall
    3: 4,  # Fence
    45: 5,  # Pole
    47: 5,  # Utility Pole
    46: 5,  # Traffic Sign Frame
    48: 6,  # Traffic Light
    50: 7,  # Traffic Sign (Front)
    30: 8,  # Vegetation
    29: 9,  # Terrain
    27: 10,  # Sky
    19: 11,  # Person
    20: 12,  # Bicyclist
    21: 12,  # Motorcyclist
    22: 12,  # Other Rider
    55: 13,  # Car
    61: 14,  # Truck
    54: 15,  # Bus
    58: 16,  # On Rails
    57: 17,  # Motorcycle
    52: 18,  # Bicycle
}


def lookup_table(mapping, size=256):
    """A ``uint8`` look-up table of ``size`` entries: ``lut[id] = train id`` (255 elsewhere)."""
    lut = np.full(size, IGNORE_INDEX, dtype=np.uint8)
    for src, dst in mapping.items():
        lut[src] = dst
    return lut


#: Cityscapes train id -> label id (the inverse of CITYSCAPES_ID_TO_TRAINID): what the Cityscapes
#: and ACDC evaluation servers read
CITYSCAPES_TRAINID_TO_ID = {train: label for label, train in CITYSCAPES_ID_TO_TRAINID.items()}
