//! Reading an invite's QR code from a picture the user opens (a photo or screenshot).

/// The largest picture side read, in pixels (a 48-megapixel photo is 8,000 wide).
const MAX_SIDE: u32 = 10_000;
/// What decoding one picture may allocate.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// The text of the first QR code found in a PNG or JPEG image, if any. Never panics on a
/// damaged or hostile file.
pub fn read_invite(bytes: &[u8]) -> Option<String> {
    // A picture's header declares its size: a few bytes could ask for gigabytes. A phone
    // photo is well inside these limits.
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    reader.limits(limits);
    let image = reader.decode().ok()?.to_luma8();
    let (width, height) = image.dimensions();
    let (width, height) = (usize::try_from(width).ok()?, usize::try_from(height).ok()?);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        // x < width and y < height, so both fit in u32.
        image.get_pixel(x as u32, y as u32).0[0]
    });
    prepared
        .detect_grids()
        .into_iter()
        .find_map(|grid| grid.decode().ok().map(|(_, text)| text.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_of(text: &str) -> Vec<u8> {
        let qr = qrcode::QrCode::new(text.as_bytes()).unwrap();
        let img = qr
            .render::<image::Luma<u8>>()
            .min_dimensions(300, 300)
            .build();
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_qr_image_gives_back_its_code_and_junk_gives_none() {
        let code = "IVEJ-0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        assert_eq!(read_invite(&png_of(code)).as_deref(), Some(code));
        assert_eq!(read_invite(b"not an image"), None);
        let blank = image::GrayImage::from_pixel(64, 64, image::Luma([255]));
        let mut out = std::io::Cursor::new(Vec::new());
        blank.write_to(&mut out, image::ImageFormat::Png).unwrap();
        assert_eq!(read_invite(&out.into_inner()), None);
    }
}
