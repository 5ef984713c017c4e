//! The small binary encoding every type here uses: fixed-size fields, and strings and byte
//! strings with a 16-bit length. Reading checks each length against what is really there.

use crate::TrustError;

pub(crate) struct Writer(pub Vec<u8>);

impl Writer {
    pub fn new() -> Self {
        Writer(Vec::new())
    }

    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    pub fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    pub fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    /// Bytes with a 16-bit length; callers keep them under 64 KiB (longer is cut, which the
    /// reader's checks then refuse, never misread).
    pub fn bytes(&mut self, bytes: &[u8]) {
        let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
        self.u16(len);
        self.0.extend_from_slice(&bytes[..usize::from(len)]);
    }

    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
}

pub(crate) struct Reader<'a> {
    pub rest: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Reader { rest: bytes, what }
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], TrustError> {
        if self.rest.len() < n {
            return Err(TrustError::Malformed(self.what));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], TrustError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, TrustError> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16, TrustError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> Result<u32, TrustError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub fn i64(&mut self) -> Result<i64, TrustError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    pub fn bytes(&mut self) -> Result<&'a [u8], TrustError> {
        let len = usize::from(self.u16()?);
        self.take(len)
    }

    /// A string of at most `max` bytes.
    pub fn str(&mut self, max: usize) -> Result<String, TrustError> {
        let bytes = self.bytes()?;
        if bytes.len() > max {
            return Err(TrustError::Malformed(self.what));
        }
        String::from_utf8(bytes.to_vec()).map_err(|_| TrustError::Malformed(self.what))
    }

    /// A count of items each at least `min_size` bytes long: a count the rest cannot hold
    /// is refused before anything is allocated for it.
    pub fn count(&mut self, min_size: usize, max: usize) -> Result<usize, TrustError> {
        let n = self.u32()? as usize;
        if n > max || n.saturating_mul(min_size) > self.rest.len() {
            return Err(TrustError::Malformed(self.what));
        }
        Ok(n)
    }

    pub fn finish(&self) -> Result<(), TrustError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(TrustError::Malformed(self.what))
        }
    }
}
