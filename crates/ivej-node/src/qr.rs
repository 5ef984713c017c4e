//! Reading an invite's QR code from an image the user opens.

/// The text of the first QR code found in a PNG or JPEG image, if any. Never panics on a
/// damaged or hostile file.
pub fn read_invite(bytes: &[u8]) -> Option<String> {
    let image = image::load_from_memory(bytes).ok()?.to_luma8();
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
