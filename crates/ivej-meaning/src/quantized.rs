//! 4-bit weights times 8-bit activations.
//!
//! Weights stay in their 4-bit blocks (a scale per 32 weights). Before each matrix
//! product the activations are quantised the same way to 8-bit integers (a scale per 32
//! values, rounded to nearest, ties to even: exactly as the reference engine does), so a
//! block's dot product is exact integer arithmetic and only the per-block scales are
//! floating point, as in the reference.
//!
//! The integers are held as i16 in fixed-size arrays (a block is `[i16; 32]`), so that a
//! block's dot product is a loop of known length over 16-bit products that the compiler
//! unrolls into SIMD multiply-adds (`pmaddwd`, in SSE2, so on any x86-64) with no
//! target-specific code, no `unsafe` and no bounds checks. A weight row is unpacked once
//! per product and then met by every token, two tokens at a time.

use std::ops::Range;

use crate::format::{BLOCK, BLOCK_BYTES};
use crate::ModelError;

/// One block of integers.
type Block = [i16; BLOCK];

/// An f16 bit pattern as f32 (exact).
pub(crate) fn f16_to_f32(bits: u16) -> f32 {
    let negative = bits & 0x8000 != 0;
    let exponent = u32::from((bits >> 10) & 0x1f);
    let mantissa = u32::from(bits & 0x3ff);
    let sign = if negative { 1u32 << 31 } else { 0 };
    match exponent {
        // Zero and subnormals: mantissa * 2^-24, exact in f32.
        0 => {
            let magnitude = mantissa as f32 * (1.0 / 16_777_216.0);
            if negative {
                -magnitude
            } else {
                magnitude
            }
        }
        0x1f => f32::from_bits(sign | 0x7f80_0000 | (mantissa << 13)),
        _ => f32::from_bits(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13)),
    }
}

/// A matrix of 4-bit weights, `rows` x `cols`, `cols` a multiple of [`BLOCK`].
#[derive(Debug)]
pub(crate) struct Q4Matrix {
    rows: usize,
    cols: usize,
    /// One scale per block, row by row.
    scales: Vec<f32>,
    /// Per block, byte `j` holds weight `j` (low nibble) and weight `j + 16` (high
    /// nibble), offset by 8.
    nibbles: Vec<[u8; BLOCK / 2]>,
}

impl Q4Matrix {
    /// Reads the file's 18-byte blocks; `bytes` holds exactly `rows * cols / 32` of them.
    pub(crate) fn from_blocks(
        bytes: &[u8],
        rows: usize,
        cols: usize,
        name: &str,
    ) -> Result<Self, ModelError> {
        debug_assert_eq!(cols % BLOCK, 0);
        debug_assert_eq!(bytes.len(), rows * cols / BLOCK * BLOCK_BYTES);
        let blocks = bytes.len() / BLOCK_BYTES;
        let mut scales = Vec::with_capacity(blocks);
        let mut nibbles = Vec::with_capacity(blocks);
        for block in bytes.chunks_exact(BLOCK_BYTES) {
            let (scale, values) = block.split_at(2);
            let scale = f16_to_f32(u16::from_le_bytes([scale[0], scale[1]]));
            if !scale.is_finite() {
                return Err(ModelError::Malformed(format!(
                    "tensor `{name}` has a block scale of {scale}"
                )));
            }
            scales.push(scale);
            let mut packed = [0u8; BLOCK / 2];
            packed.copy_from_slice(values);
            nibbles.push(packed);
        }
        Ok(Q4Matrix {
            rows,
            cols,
            scales,
            nibbles,
        })
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    pub(crate) fn cols(&self) -> usize {
        self.cols
    }

    fn row_blocks(&self, row: usize) -> (&[[u8; BLOCK / 2]], &[f32]) {
        let blocks = self.cols / BLOCK;
        let range = row * blocks..(row + 1) * blocks;
        (&self.nibbles[range.clone()], &self.scales[range])
    }

    /// Adds row `row`, dequantised, to `out` (`cols` long).
    pub(crate) fn add_row_to(&self, row: usize, out: &mut [f32]) {
        let (nibbles, scales) = self.row_blocks(row);
        for ((out, packed), &scale) in out.chunks_exact_mut(BLOCK).zip(nibbles).zip(scales) {
            for (out, value) in out.iter_mut().zip(unpack(packed)) {
                *out += f32::from(value) * scale;
            }
        }
    }
}

/// One block's nibbles as the integers -8..=7.
#[inline(always)]
fn unpack(packed: &[u8; BLOCK / 2]) -> Block {
    let mut out = [0; BLOCK];
    let (low, high) = out.split_at_mut(BLOCK / 2);
    for ((low, high), &byte) in low.iter_mut().zip(high).zip(packed) {
        *low = i16::from(byte & 0x0f) - 8;
        *high = i16::from(byte >> 4) - 8;
    }
    out
}

/// Token activations quantised per block of 32 to integers in -128..=127.
#[derive(Debug, Default)]
pub(crate) struct QuantizedActivations {
    /// Blocks per token.
    blocks: usize,
    /// Integers in -128..=127.
    values: Vec<Block>,
    scales: Vec<f32>,
}

impl QuantizedActivations {
    /// Quantises `x`, token by token of `cols` values (`cols` a multiple of [`BLOCK`]).
    pub(crate) fn quantize(&mut self, x: &[f32], cols: usize) {
        debug_assert_eq!(cols % BLOCK, 0);
        debug_assert_eq!(x.len() % cols, 0);
        self.blocks = cols / BLOCK;
        self.values.clear();
        self.scales.clear();
        for block in x.chunks_exact(BLOCK) {
            let largest = block.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let scale = largest / 127.0;
            let inverse = if scale > 0.0 { 1.0 / scale } else { 0.0 };
            let mut values = [0; BLOCK];
            for (value, &v) in values.iter_mut().zip(block) {
                // Adding and taking away 1.5 * 2^23 rounds to the nearest integer, ties to
                // even, for |v| < 2^22 (here |v| <= 127), without a call into libm.
                const ROUNDING: f32 = 12_582_912.0;
                let rounded = (v * inverse + ROUNDING) - ROUNDING;
                *value = rounded.clamp(-128.0, 127.0) as i16;
            }
            self.values.push(values);
            self.scales.push(scale);
        }
    }

    fn tokens(&self) -> usize {
        self.values.len().checked_div(self.blocks).unwrap_or(0)
    }
}

/// A block's exact integer dot product (at most 32 * 8 * 128 in magnitude, so it never
/// wraps; wrapping arithmetic only keeps overflow checks of debug builds out of the SIMD
/// code).
#[inline(always)]
fn block_dot(weights: &Block, activations: &Block) -> i32 {
    weights
        .iter()
        .zip(activations)
        .map(|(&w, &a)| i32::from(w).wrapping_mul(i32::from(a)))
        .fold(0, i32::wrapping_add)
}

/// One token's activations: blocks and their scales.
#[derive(Clone, Copy)]
struct Token<'a> {
    blocks: &'a [Block],
    scales: &'a [f32],
}

/// One weight row's products with two tokens: per block the exact integer dot products,
/// scaled by both blocks' scales and summed in order, as in the reference. Each block of
/// weights is loaded once for both tokens.
///
/// Kept out of line: on its own the compiler unrolls the blocks' dot products and
/// multiplies along them in SIMD lanes (`pmaddwd`); inlined into the loops around, it
/// tends to vectorise across rows or tokens instead, gathering lanes one by one.
#[inline(never)]
fn row_products(
    row: &[Block],
    row_scales: &[f32],
    first: Token<'_>,
    second: Token<'_>,
) -> [f32; 2] {
    let mut sums = [0.0f32; 2];
    for (((((weights, &row_scale), a), &a_scale), b), &b_scale) in row
        .iter()
        .zip(row_scales)
        .zip(first.blocks)
        .zip(first.scales)
        .zip(second.blocks)
        .zip(second.scales)
    {
        let a_dot = block_dot(weights, a);
        let b_dot = block_dot(weights, b);
        sums[0] += a_dot as f32 * (row_scale * a_scale);
        sums[1] += b_dot as f32 * (row_scale * b_scale);
    }
    sums
}

/// [`row_products`] for a single token.
#[inline(never)]
fn row_product(row: &[Block], row_scales: &[f32], token: Token<'_>) -> f32 {
    let mut sum = 0.0f32;
    for (((weights, &row_scale), a), &a_scale) in row
        .iter()
        .zip(row_scales)
        .zip(token.blocks)
        .zip(token.scales)
    {
        sum += block_dot(weights, a) as f32 * (row_scale * a_scale);
    }
    sum
}

/// `out = activations x weight^T + bias` for the weight rows `rows` only: `out` holds one
/// line of `rows.len()` outputs per token.
pub(crate) fn multiply(
    weight: &Q4Matrix,
    bias: &[f32],
    activations: &QuantizedActivations,
    rows: Range<usize>,
    out: &mut [f32],
) {
    let blocks = weight.cols / BLOCK;
    debug_assert_eq!(activations.blocks, blocks);
    let width = rows.len();
    debug_assert_eq!(out.len(), activations.tokens() * width);
    if width == 0 || blocks == 0 {
        return;
    }
    let tokens: Vec<Token<'_>> = activations
        .values
        .chunks_exact(blocks)
        .zip(activations.scales.chunks_exact(blocks))
        .map(|(blocks, scales)| Token { blocks, scales })
        .collect();
    // Each row is unpacked once and multiplied with every token, two at a time.
    let mut values = vec![[0; BLOCK]; blocks];
    for (column, row) in rows.enumerate() {
        let (nibbles, scales) = weight.row_blocks(row);
        for (values, packed) in values.iter_mut().zip(nibbles) {
            *values = unpack(packed);
        }
        let mut lines = out.chunks_exact_mut(width);
        let mut pairs = tokens.chunks_exact(2);
        for pair in &mut pairs {
            let sums = row_products(&values, scales, pair[0], pair[1]);
            // `sums` first: zip stops on it without taking a line too many.
            for (sum, line) in sums.into_iter().zip(&mut lines) {
                line[column] = bias[row] + sum;
            }
        }
        for (line, &token) in lines.zip(pairs.remainder()) {
            line[column] = bias[row] + row_product(&values, scales, token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_converts_exactly() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert_eq!(f16_to_f32(0x8000).to_bits(), (-0.0f32).to_bits());
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert!(f16_to_f32(0x7c00).is_infinite());
        assert!(f16_to_f32(0x7e00).is_nan());
    }

    #[test]
    fn quantisation_rounds_ties_to_even() {
        let mut x = vec![0.0f32; BLOCK];
        x[0] = 127.0;
        x[1] = 2.5;
        x[2] = -3.5;
        x[3] = 0.5;
        x[4] = -126.4;
        let mut q = QuantizedActivations::default();
        q.quantize(&x, BLOCK);
        assert_eq!(&q.values[0][..5], &[127, 2, -4, 0, -126]);
        assert_eq!(q.scales, vec![1.0]);
    }

    /// A matrix whose block `b` of row `r` has scale `0.5 * (r + 1)` and nibbles cycling
    /// through 0..16, checked against a plain f32 product.
    #[test]
    fn product_matches_plain_arithmetic() {
        let (rows, cols, tokens) = (7, 64, 3);
        let mut bytes = Vec::new();
        for r in 0..rows {
            for b in 0..cols / BLOCK {
                let scale: f32 = 0.5 * (r + 1) as f32;
                // f16 of 0.5 * n for n in 1..=7 is exact.
                let bits = half_bits(scale);
                bytes.extend_from_slice(&bits.to_le_bytes());
                for j in 0..16u8 {
                    let byte = (j.wrapping_add(r as u8 + b as u8)) & 0x0f
                        | ((j.wrapping_mul(3).wrapping_add(r as u8)) & 0x0f) << 4;
                    bytes.push(byte);
                }
            }
        }
        let matrix = Q4Matrix::from_blocks(&bytes, rows, cols, "test").unwrap();
        let bias: Vec<f32> = (0..rows).map(|r| r as f32 * 0.25).collect();
        // Activations that quantise exactly: integers with a block maximum of 127.
        let x: Vec<f32> = (0..tokens * cols)
            .map(|i| {
                if i % BLOCK == 0 {
                    127.0
                } else {
                    ((i * 37) % 255) as f32 - 127.0
                }
            })
            .collect();
        let mut q = QuantizedActivations::default();
        q.quantize(&x, cols);
        let mut out = vec![0.0; tokens * rows];
        multiply(&matrix, &bias, &q, 0..rows, &mut out);

        let mut dense = vec![0.0f32; cols];
        for t in 0..tokens {
            for r in 0..rows {
                dense.fill(0.0);
                matrix.add_row_to(r, &mut dense);
                let expected: f32 = bias[r]
                    + dense
                        .iter()
                        .zip(&x[t * cols..][..cols])
                        .map(|(w, a)| w * a)
                        .sum::<f32>();
                let got = out[t * rows + r];
                assert!(
                    (got - expected).abs() <= 1e-3 * expected.abs().max(1.0),
                    "{got} {expected}"
                );
            }
        }

        // A sub-range of rows gives the same numbers.
        let mut part = vec![0.0; tokens * 3];
        multiply(&matrix, &bias, &q, 2..5, &mut part);
        for t in 0..tokens {
            assert_eq!(&part[t * 3..t * 3 + 3], &out[t * rows + 2..t * rows + 5]);
        }
    }

    fn half_bits(value: f32) -> u16 {
        (0..=u16::MAX).find(|&b| f16_to_f32(b) == value).unwrap()
    }
}
