/*
 * bare_exr_cxx.cpp: the bare OpenEXR C++ library decode that prov-fp is
 * measured against (and that decodes DWA, which Core 3.1.5 cannot).
 *
 *     bare_exr_cxx [-t THREADS] FILE...
 *
 * Reads each file into memory and every part into planar buffers through
 * Imf::MultiPartInputFile / InputPart and a FrameBuffer.  -t N sets the
 * library's global thread pool to N threads (0, the default, decodes on the
 * calling thread).  Prints the number of files and parts decoded.
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <vector>

#include <ImfChannelList.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfIO.h>
#include <ImfInputPart.h>
#include <ImfMultiPartInputFile.h>
#include <ImfThreading.h>
#include <Iex.h>

namespace {

class MemStream : public Imf::IStream {
public:
	MemStream(const char *d, size_t len)
	    : Imf::IStream("<memory>"), d_(d), len_(len), pos_(0) {}
	bool read(char c[], int n) override
	{
		if (n < 0 || pos_ + (size_t)n > len_)
			throw Iex::InputExc("unexpected end of file");
		std::memcpy(c, d_ + pos_, (size_t)n);
		pos_ += (size_t)n;
		return pos_ < len_;
	}
	uint64_t tellg() override { return pos_; }
	void seekg(uint64_t p) override { pos_ = (size_t)p; }

private:
	const char *d_;
	size_t len_;
	size_t pos_;
};

}  // namespace

int
main(int argc, char **argv)
{
	int i = 1, threads = 0, files = 0, parts = 0;

	if (argc > 2 && std::strcmp(argv[1], "-t") == 0) {
		threads = (int)std::strtol(argv[2], nullptr, 10);
		i = 3;
	}
	Imf::setGlobalThreadCount(threads);
	for (; i < argc; i++) {
		std::FILE *fp = std::fopen(argv[i], "rb");
		if (fp == nullptr) {
			std::perror(argv[i]);
			return 2;
		}
		std::fseek(fp, 0, SEEK_END);
		size_t len = (size_t)std::ftell(fp);
		/* new char[] leaves the memory untouched, as malloc does in the
		 * Core decoder: no zero-filling pass to measure. */
		std::unique_ptr<char[]> data(new char[len ? len : 1]);
		std::rewind(fp);
		if (std::fread(data.get(), 1, len, fp) != len)
			return 2;
		std::fclose(fp);
		try {
			MemStream s(data.get(), len);
			Imf::MultiPartInputFile file(s, threads);
			for (int p = 0; p < file.parts(); p++) {
				Imf::InputPart in(file, p);
				const Imf::Header &h = in.header();
				if (h.hasType() && (h.type() == "deepscanline" ||
				    h.type() == "deeptile"))
					continue;
				const Imath::Box2i &dw = h.dataWindow();
				size_t w = (size_t)(dw.max.x - dw.min.x + 1);
				size_t hh = (size_t)(dw.max.y - dw.min.y + 1);
				std::vector<std::unique_ptr<char[]>> planes;
				Imf::FrameBuffer fb;
				for (auto c = h.channels().begin(); c != h.channels().end(); ++c) {
					size_t es = c.channel().type == Imf::HALF ? 2 : 4;
					size_t cols = w / c.channel().xSampling;
					size_t rows = hh / c.channel().ySampling;
					planes.emplace_back(new char[cols * rows * es]);
					fb.insert(c.name(), Imf::Slice::Make(c.channel().type,
					    planes.back().get(), dw, es, cols * es,
					    c.channel().xSampling, c.channel().ySampling));
				}
				in.setFrameBuffer(fb);
				in.readPixels(dw.min.y, dw.max.y);
				parts++;
			}
		} catch (const std::exception &e) {
			std::fprintf(stderr, "%s: %s\n", argv[i], e.what());
			return 1;
		}
		files++;
	}
	std::printf("%d files, %d parts decoded\n", files, parts);
	return 0;
}
