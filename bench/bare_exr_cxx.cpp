/*
 * bare_exr_cxx.cpp: the bare OpenEXR C++ library decode that prov-fp is
 * measured against (and that decodes DWA, which Core 3.1.5 cannot).
 *
 *     bare_exr_cxx [-t THREADS] FILE...
 *
 * Maps each file (as prov-fp does) and reads every part into planar buffers
 * through Imf::MultiPartInputFile / InputPart and a FrameBuffer, as
 * libprov/exr_dwa.cpp does.  The planes are allocated once and reused from
 * file to file (prov-fp's plane cache does the same).  -t N sets the
 * library's global thread pool to N threads (0, the default, decodes on the
 * calling thread).  Prints the number of files and parts decoded.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

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
	/* Planes kept across parts and files (grown, never shrunk); new
	 * char[] leaves the memory untouched: no zero-filling pass. */
	std::vector<std::unique_ptr<char[]>> planes;
	std::vector<size_t> plane_len;

	Imf::setGlobalThreadCount(threads);
	for (; i < argc; i++) {
		struct stat st;
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0 || fstat(fd, &st) < 0) {
			std::perror(argv[i]);
			return 2;
		}
		size_t len = (size_t)st.st_size;
		void *map = mmap(nullptr, len ? len : 1, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			std::perror(argv[i]);
			return 2;
		}
		close(fd);
		try {
			MemStream s(static_cast<const char *>(map), len);
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
				Imf::FrameBuffer fb;
				size_t k = 0;
				for (auto c = h.channels().begin(); c != h.channels().end();
				    ++c, ++k) {
					size_t es = c.channel().type == Imf::HALF ? 2 : 4;
					size_t cols = w / c.channel().xSampling;
					size_t rows = hh / c.channel().ySampling;
					if (k == planes.size()) {
						planes.emplace_back(nullptr);
						plane_len.push_back(0);
					}
					if (plane_len[k] < cols * rows * es) {
						planes[k].reset(new char[cols * rows * es]);
						plane_len[k] = cols * rows * es;
					}
					fb.insert(c.name(), Imf::Slice::Make(c.channel().type,
					    planes[k].get(), dw, es, cols * es,
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
		munmap(map, len ? len : 1);
		files++;
	}
	std::printf("%d files, %d parts decoded\n", files, parts);
	return 0;
}
