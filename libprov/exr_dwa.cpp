/*
 * exr_dwa.cpp: DWAA/DWAB (and PIZ, subsampled) decoding through the OpenEXR
 * C++ library.
 *
 * OpenEXRCore 3.1.5 (Debian 12) answers EXR_ERR_FEATURE_NOT_IMPLEMENTED for
 * DWA parts; the C++ library of the same release decodes them.  This file is
 * the only C++ in the project: one C function, every exception caught at the
 * boundary, the file read from memory through an Imf::IStream.
 */
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>

#include <ImfChannelList.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfIO.h>
#include <ImfInputPart.h>
#include <ImfMultiPartInputFile.h>
#include <Iex.h>

#include "exr_dwa.h"

namespace {

/* An IStream over a caller's buffer; reads past the end throw, as a file's
 * would. */
class MemStream : public Imf::IStream {
public:
	MemStream(const unsigned char *data, size_t len)
	    : Imf::IStream("<memory>"), data_(data), len_(len), pos_(0) {}

	bool read(char c[], int n) override
	{
		if (n < 0 || pos_ > len_ || (size_t)n > len_ - pos_)
			throw Iex::InputExc("unexpected end of file");
		std::memcpy(c, data_ + pos_, (size_t)n);
		pos_ += (size_t)n;
		return pos_ < len_;
	}
	uint64_t tellg() override { return pos_; }
	void seekg(uint64_t pos) override
	{
		if (pos > len_)
			throw Iex::InputExc("seek past the end of file");
		pos_ = (size_t)pos;
	}

private:
	const unsigned char *data_;
	size_t len_;
	size_t pos_;
};

Imf::PixelType
pixel_type(int t)
{
	switch (t) {
	case 0: return Imf::UINT;
	case 1: return Imf::HALF;
	default: return Imf::FLOAT;
	}
}

size_t
type_size(int t)
{
	return t == 1 ? 2 : 4;
}

}  // namespace

extern "C" int
prov_exr_dwa_decode(const unsigned char *data, size_t len, int part,
    const int32_t dw[4], unsigned nchan, struct prov_exr_dwa_chan *chans,
    char *err, size_t errlen)
{
	try {
		MemStream stream(data, len);
		/* No worker threads: prov-fp's -j workers each decode one file,
		 * which keeps both cores busy without the pool's hand-offs. */
		Imf::MultiPartInputFile file(stream, 0, false);
		if (part < 0 || part >= file.parts())
			throw Iex::ArgExc("no such part");
		Imf::InputPart in(file, part);
		const Imf::Header &h = in.header();
		const Imath::Box2i &win = h.dataWindow();
		if (win.min.x != dw[0] || win.min.y != dw[1] ||
		    win.max.x != dw[2] || win.max.y != dw[3])
			throw Iex::InputExc("data window differs from the Core reading");
		int64_t width = (int64_t)win.max.x - win.min.x + 1;
		int64_t height = (int64_t)win.max.y - win.min.y + 1;
		Imf::FrameBuffer fb;
		for (unsigned c = 0; c < nchan; c++) {
			struct prov_exr_dwa_chan *ch = &chans[c];
			const Imf::Channel *fc = h.channels().findChannel(ch->name);
			if (fc == nullptr || fc->type != pixel_type(ch->type) ||
			    fc->xSampling != ch->xs || fc->ySampling != ch->ys ||
			    ch->xs < 1 || ch->ys < 1)
				throw Iex::InputExc("channel list differs from the Core reading");
			size_t esize = type_size(ch->type);
			size_t cols = (size_t)((width + ch->xs - 1) / ch->xs);
			size_t rows = (size_t)((height + ch->ys - 1) / ch->ys);
			if (cols * rows * esize != ch->bytes)
				throw Iex::ArgExc("channel buffer size mismatch");
			fb.insert(ch->name, Imf::Slice::Make(pixel_type(ch->type),
			    ch->data, win, esize, cols * esize, ch->xs, ch->ys));
		}
		in.setFrameBuffer(fb);
		in.readPixels(win.min.y, win.max.y);
		return 0;
	} catch (const std::exception &ex) {
		std::snprintf(err, errlen, "%s", ex.what());
	} catch (...) {
		std::snprintf(err, errlen, "unknown error in the OpenEXR library");
	}
	return -1;
}
