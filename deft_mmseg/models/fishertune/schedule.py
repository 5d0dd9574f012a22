"""The fraction of VFM parameters FisherTune tunes at each step (FisherTune paper, Eq. 16)."""
import math

#: 'text': grows from delta_min to delta_max (Sec. 3.3.3's wording); 'eq16': Eq. 16 as printed
SCHEDULES = ('text', 'eq16')


def selected_fraction(t, total, delta_min, delta_max, schedule='text'):
    """Fraction of parameters selected at tuning step ``t`` of ``total`` (1 <= t <= total).

    The text says FisherTune starts with the top ``delta_min`` of parameters by DR-FIM and grows
    to ``delta_max`` "by the end"; Eq. 16 as printed,
    ``delta_min + (delta_max - delta_min) * exp(-t / T)``, instead *starts* at ``delta_max`` and
    decays towards ``delta_min + (delta_max - delta_min) / e``. ``schedule='text'`` keeps Eq. 16's
    exponential shape, mirrored and normalized so that it matches the text::

        delta(t) = delta_min + (delta_max - delta_min) * (1 - exp(-t / T)) / (1 - exp(-1))

    (``delta(0) = delta_min``, ``delta(T) = delta_max``, growing fastest early);
    ``schedule='eq16'`` returns Eq. 16's value itself as the fraction. With
    ``delta_min == delta_max`` both are constant (the Table 4 ablations).
    """
    if schedule not in SCHEDULES:
        raise ValueError(f'FisherTune schedule {schedule!r}: use one of {SCHEDULES}')
    decay = math.exp(-t / total)
    if schedule == 'eq16':
        return delta_min + (delta_max - delta_min) * decay
    return delta_min + (delta_max - delta_min) * (1 - decay) / (1 - math.exp(-1))
