// ml::io::RgbImage -> QImage without copying the pixels: the QImage takes the buffer over.
#pragma once

#include "io/media.h"

#include <QImage>

QImage toQImage(ml::io::RgbImage image);
