"""What ``tools/infer.py`` reads: one image, a folder of images, or a video, as named frames.

Everything is checked before anything is written: a missing path, a folder without images, a
video that cannot be opened or has no frame raise :class:`InferenceInputError` (one line).
"""
import os
import os.path as osp

import cv2

from ..utils.errors import InferenceInputError

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpg', '.mpeg', '.m4v')


def input_kind(path):
    """``'image'``, ``'folder'`` or ``'video'``."""
    if not osp.exists(path):
        raise InferenceInputError(f'input {path!r} does not exist: give an image, a folder of '
                                  f'images or a video.')
    if osp.isdir(path):
        return 'folder'
    ext = osp.splitext(path)[1].lower()
    if ext in VIDEO_EXTENSIONS:
        return 'video'
    if ext in IMAGE_EXTENSIONS:
        return 'image'
    raise InferenceInputError(
        f'input {path!r}: unknown file type {ext!r}; images: {", ".join(IMAGE_EXTENSIONS)}; '
        f'videos: {", ".join(VIDEO_EXTENSIONS)}.')


def list_images(path):
    """``[(name without extension, file path), ...]``: the image itself, or the images under a
    folder (recursively, sorted; names keep their sub-folders so that they stay unique)."""
    if input_kind(path) == 'image':
        return [(osp.splitext(osp.basename(path))[0], path)]
    found = []
    for root, _, files in os.walk(path):
        for f in files:
            if osp.splitext(f)[1].lower() in IMAGE_EXTENSIONS:
                full = osp.join(root, f)
                found.append((osp.splitext(osp.relpath(full, path))[0], full))
    if not found:
        raise InferenceInputError(f'folder {path!r} holds no images '
                                  f'({", ".join(IMAGE_EXTENSIONS)}); point INPUT at the images.')
    return sorted(found)


class VideoFrames:
    """The frames of a video as BGR arrays, named ``frame_000000``...; opened and its first frame
    read on construction, so an unreadable video fails before any output is written."""

    def __init__(self, path):
        self.path = path
        self.capture = cv2.VideoCapture(path)
        ok, self.first = self.capture.read() if self.capture.isOpened() else (False, None)
        if not ok:
            self.capture.release()
            raise InferenceInputError(
                f'video {path!r} cannot be opened or has no frame (OpenCV could not decode it); '
                f'convert it to H.264 .mp4, or extract its frames and give the folder.')
        self.fps = self.capture.get(cv2.CAP_PROP_FPS) or 25.0
        self.size = (self.first.shape[1], self.first.shape[0])  # (width, height)
        self.num_frames = int(self.capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None

    def __iter__(self):
        index, frame = 0, self.first
        while frame is not None:
            yield f'frame_{index:06d}', frame
            ok, frame = self.capture.read()
            frame = frame if ok else None
            index += 1
        self.capture.release()
