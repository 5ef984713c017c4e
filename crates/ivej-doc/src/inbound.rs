//! What a peer's sync message may hold, checked before automerge sees it.
//!
//! automerge 0.12 trusts a few numbers a message declares: a Bloom filter with zero bits per
//! entry makes it divide by zero when it next answers that peer, a huge probe count makes it
//! allocate by that count, and a deflated chunk inflates without limit (the transport caps
//! only the compressed size). These checks refuse such messages first, so a peer can make
//! the node neither panic nor allocate more than [`MAX_INFLATED`] for one message.

use std::io::Read;

use automerge::sync::Message;

use crate::error::DocError;

/// What one message's (or one stored document's) changes may make automerge expand.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    /// Bytes that deflated chunks and columns inflate to.
    pub inflated: usize,
    /// Cells of the op columns: each column's rows, which run-length encoding lets a few
    /// bytes declare by the billion (see [`count_op_cells`]).
    pub cells: u64,
}

impl Budget {
    pub(crate) fn message() -> Self {
        Budget {
            inflated: MAX_INFLATED,
            cells: MAX_OP_CELLS,
        }
    }

    pub(crate) fn unlimited() -> Self {
        Budget {
            inflated: usize::MAX,
            cells: u64::MAX,
        }
    }
}

/// The most op-column cells one message may declare. The two-year street document's whole
/// history (3,578 changes, which a first sync may carry in one message) declares 2.6
/// million, at most 2,493 in one change; automerge builds some dozens of bytes per cell.
pub const MAX_OP_CELLS: u64 = 8 * 1024 * 1024;

/// The most dependencies one change may name. A change depends on the heads its author saw
/// (as many as there were concurrent branches) and its author's previous change; a few
/// hundred is already far past what a street makes. A node remembers a refused change's
/// dependencies, so a peer must not make that list long.
pub const MAX_DEPS: u64 = 256;

/// The most heads a message may claim (what `without_changes` may have to walk).
pub const MAX_HEADS: usize = 1024;

/// The most one message's change and document chunks may inflate to. The two-year street
/// document (3,578 changes) inflates to a few MiB; a first sync carries it in one message.
pub const MAX_INFLATED: usize = 64 * 1024 * 1024;

/// automerge writes 10 bits per entry and 7 probes; anything far above is not a filter an
/// honest peer made.
const MAX_BITS_PER_ENTRY: u64 = 64;
const MAX_PROBES: u64 = 64;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_DOCUMENT: u8 = 0;
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;
const CHUNK_BUNDLE: u8 = 3;
/// A column whose data is deflated (automerge's column specification, bit 3).
const COLUMN_DEFLATED: u64 = 0b1000;

fn refused(why: impl Into<String>) -> DocError {
    DocError::Refused(why.into())
}

/// Checks a decoded message: every Bloom filter well formed, every chunk within the budget.
pub(crate) fn check_message(message: &Message) -> Result<(), DocError> {
    // automerge keeps these as the peer sent them and asserts they are sorted when it
    // encodes them again (a panic in debug builds); an honest peer always sorts them.
    check_sorted(&message.heads)?;
    if message.heads.len() > MAX_HEADS {
        return Err(refused("a message that claims too many heads"));
    }
    check_sorted(&message.need)?;
    for have in &message.have {
        check_sorted(&have.last_sync)?;
        check_bloom(&have.bloom.to_bytes())?;
    }
    let mut budget = Budget::message();
    for chunks in message.changes.iter() {
        check_chunks(chunks, &mut budget)?;
    }
    Ok(())
}

fn check_sorted(hashes: &[automerge::ChangeHash]) -> Result<(), DocError> {
    if hashes.windows(2).all(|pair| pair[0] < pair[1]) {
        Ok(())
    } else {
        Err(refused("change hashes that are not sorted"))
    }
}

/// A sync state as stored: decoded, with its hashes sorted and without repeats (automerge
/// asserts that order when it encodes them again; the fuzzer found stored states without
/// it).
pub fn decode_sync_state(bytes: &[u8]) -> Result<automerge::sync::State, DocError> {
    let mut state = automerge::sync::State::decode(bytes)
        .map_err(|e| refused(format!("a sync state that does not decode: {e}")))?;
    state.shared_heads.sort();
    state.shared_heads.dedup();
    Ok(state)
}

/// A Bloom filter as automerge encodes it: nothing for an empty one, else the number of
/// entries, bits per entry, probes, then the bits.
pub(crate) fn check_bloom(bytes: &[u8]) -> Result<(), DocError> {
    if bytes.is_empty() {
        return Ok(());
    }
    let mut r = Cursor(bytes);
    let entries = r.uleb()?;
    let bits_per_entry = r.uleb()?;
    let probes = r.uleb()?;
    if entries == 0 {
        return Ok(());
    }
    if !(1..=MAX_BITS_PER_ENTRY).contains(&bits_per_entry) {
        return Err(refused(format!(
            "a Bloom filter with {bits_per_entry} bits per entry"
        )));
    }
    if !(1..=MAX_PROBES).contains(&probes) {
        return Err(refused(format!("a Bloom filter with {probes} probes")));
    }
    if r.0.is_empty() {
        return Err(refused("a Bloom filter without bits"));
    }
    Ok(())
}

/// Walks concatenated storage chunks (what `load_incremental` takes), counting what their
/// deflated parts inflate to against `budget`.
pub(crate) fn check_chunks(mut bytes: &[u8], budget: &mut Budget) -> Result<(), DocError> {
    while !bytes.is_empty() {
        let mut r = Cursor(bytes);
        if r.take(4)? != MAGIC {
            return Err(refused("a chunk without automerge's magic bytes"));
        }
        r.take(4)?; // checksum, verified by automerge
        let chunk_type = r.take(1)?[0];
        let len = r.len()?;
        let data = r.take(len)?;
        match chunk_type {
            CHUNK_DOCUMENT => check_document_columns(data, budget)?,
            // Change chunks never hold deflated columns (automerge refuses them); what
            // their op columns expand to counts too.
            CHUNK_COMPRESSED | CHUNK_CHANGE => {
                next_change_chunk(&bytes[..bytes.len() - r.0.len()], budget)?;
            }
            // automerge's sync never sends bundles, and it inflates a bundle's deflated
            // columns without limit: a peer's bundle is refused.
            CHUNK_BUNDLE => return Err(refused("a bundle chunk in a sync message")),
            other => return Err(refused(format!("an unknown chunk type {other}"))),
        }
        bytes = r.0;
    }
    Ok(())
}

/// A document chunk: actors, heads, the change and op column metadata, then the column
/// data in that order; deflated columns count by what they inflate to.
fn check_document_columns(data: &[u8], budget: &mut Budget) -> Result<(), DocError> {
    let mut r = Cursor(data);
    for _ in 0..r.uleb()? {
        let len = r.len()?;
        r.take(len)?;
    }
    let heads = r.len()?;
    r.take(
        heads
            .checked_mul(32)
            .ok_or_else(|| refused("too many heads"))?,
    )?;
    let change_columns = r.columns()?;
    let op_columns = r.columns()?;
    for (spec, len) in change_columns.into_iter().chain(op_columns) {
        let column = r.take(len)?;
        if spec & COLUMN_DEFLATED != 0 {
            inflate_within(column, budget)?;
        }
    }
    Ok(())
}

/// Who made a change a peer sent, and its hash, read before automerge sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeHeader {
    pub hash: [u8; 32],
    /// The changes it was built on.
    pub deps: Vec<[u8; 32]>,
    /// The author's actor id: on a device of a street with certificates, the device's
    /// signing key followed by 16 random bytes.
    pub actor: Vec<u8>,
    pub seq: u64,
}

/// The changes a sync message carries, one header each. A peer sends changes one by one
/// (never a whole document, which would hide who made what), so each can be checked
/// against its author's signature and certificate before automerge applies it.
pub fn change_headers(payload: &[u8]) -> Result<Vec<ChangeHeader>, DocError> {
    let message = crate::document::caught("reading a sync message", || Message::decode(payload))?
        .map_err(|e| DocError::BadMessage(e.to_string()))?;
    let mut headers = Vec::new();
    // What all of the message's changes may inflate to, together (as `check_message`).
    let mut budget = Budget::message();
    for chunk in message.changes.iter() {
        read_change_chunks(chunk, &mut budget, &mut headers)?;
    }
    Ok(headers)
}

/// The op-column cells change chunks declare (what [`MAX_OP_CELLS`] bounds per message).
pub fn op_cells(bytes: &[u8]) -> Result<u64, DocError> {
    let mut budget = Budget::unlimited();
    read_change_chunks(bytes, &mut budget, &mut Vec::new())?;
    Ok(u64::MAX - budget.cells)
}

/// The headers of the change chunks `save_incremental` wrote: what this device is about to
/// store, read from the bytes themselves (asking automerge for the changes since the last
/// save walks the whole history).
pub fn chunk_headers(bytes: &[u8]) -> Result<Vec<ChangeHeader>, DocError> {
    let mut headers = Vec::new();
    let mut budget = Budget::unlimited();
    read_change_chunks(bytes, &mut budget, &mut headers)?;
    Ok(headers)
}

fn read_change_chunks(
    mut bytes: &[u8],
    budget: &mut Budget,
    headers: &mut Vec<ChangeHeader>,
) -> Result<(), DocError> {
    while !bytes.is_empty() {
        let (header, len) = next_change_chunk(bytes, budget)?;
        headers.push(header);
        bytes = bytes.get(len..).unwrap_or_default();
    }
    Ok(())
}

/// The header of the change chunk `bytes` starts with, and that chunk's length.
fn next_change_chunk(bytes: &[u8], budget: &mut Budget) -> Result<(ChangeHeader, usize), DocError> {
    let mut r = Cursor(bytes);
    if r.take(4)? != MAGIC {
        return Err(refused("a chunk without automerge's magic bytes"));
    }
    r.take(4)?;
    let chunk_type = r.take(1)?[0];
    let len = r.len()?;
    let data = r.take(len)?;
    if chunk_type != CHUNK_CHANGE && chunk_type != CHUNK_COMPRESSED {
        return Err(refused(
            "a whole document in a sync message (changes must come one by one)",
        ));
    }
    let (hash, body) = chunk_hash(chunk_type, data, budget.inflated)?;
    budget.inflated = budget
        .inflated
        .checked_sub(body.len())
        .ok_or_else(|| refused("changes that inflate past the limit for one message"))?;
    let mut b = Cursor(&body);
    let count = b.uleb()?;
    if count > MAX_DEPS {
        return Err(refused("a change that names too many dependencies"));
    }
    let mut deps = Vec::new();
    for _ in 0..count {
        // `take` fails past the body's end, so a declared count allocates nothing extra.
        let dep: [u8; 32] = b
            .take(32)?
            .try_into()
            .map_err(|_| refused("a dependency that is not a hash"))?;
        deps.push(dep);
    }
    let actor_len = b.len()?;
    let actor = b.take(actor_len)?.to_vec();
    let seq = b.uleb()?;
    count_op_cells(&mut b, budget)?;
    let consumed = bytes.len() - r.0.len();
    Ok((
        ChangeHeader {
            hash,
            deps,
            actor,
            seq,
        },
        consumed,
    ))
}

/// Counts the cells a change's op columns declare against `budget`, from the field after
/// its sequence number on. automerge expands a run-length encoded column to one value per
/// row, so ten bytes can declare a billion ops: automerge would build them all before
/// finding that the change makes no sense.
fn count_op_cells(b: &mut Cursor<'_>, budget: &mut Budget) -> Result<(), DocError> {
    b.uleb()?; // start op
    b.uleb()?; // time (signed; the same bytes to skip)
    let message = b.len()?;
    b.take(message)?;
    for _ in 0..b.uleb()? {
        let len = b.len()?;
        b.take(len)?;
    }
    for (spec, len) in b.columns()? {
        let data = b.take(len)?;
        let cells = column_cells(spec, data)?;
        budget.cells = budget
            .cells
            .checked_sub(cells)
            .ok_or_else(|| refused("changes that declare more ops than one message may hold"))?;
    }
    Ok(())
}

/// The rows a column declares (for a group column, also the rows of the columns it
/// groups: each value counts).
fn column_cells(spec: u64, data: &[u8]) -> Result<u64, DocError> {
    const GROUP: u64 = 0;
    const BOOLEAN: u64 = 4;
    const STRING: u64 = 5;
    const RAW: u64 = 7;
    let kind = spec & 0b111;
    let mut r = Cursor(data);
    let mut cells: u64 = 0;
    let add = |cells: &mut u64, n: u64| {
        *cells = cells
            .checked_add(n)
            .ok_or_else(|| refused("a column too long"))?;
        Ok::<(), DocError>(())
    };
    match kind {
        RAW => return Ok(0),
        BOOLEAN => {
            while !r.0.is_empty() {
                let run = r.uleb()?;
                add(&mut cells, run)?;
            }
        }
        _ => {
            // Run-length encoded: a positive count and one value, a negative count and
            // that many values, or zero and a count of nulls.
            let value = |r: &mut Cursor<'_>| -> Result<u64, DocError> {
                if kind == STRING {
                    let len = r.len()?;
                    r.take(len)?;
                    Ok(0)
                } else {
                    r.uleb()
                }
            };
            while !r.0.is_empty() {
                let count = r.sleb()?;
                if count > 0 {
                    let run = count.unsigned_abs();
                    let v = value(&mut r)?;
                    add(&mut cells, run)?;
                    if kind == GROUP {
                        add(&mut cells, run.saturating_mul(v))?;
                    }
                } else if count < 0 {
                    for _ in 0..count.unsigned_abs() {
                        let v = value(&mut r)?;
                        add(&mut cells, 1)?;
                        if kind == GROUP {
                            add(&mut cells, v)?;
                        }
                    }
                } else {
                    let nulls = r.uleb()?;
                    add(&mut cells, nulls)?;
                }
            }
        }
    }
    Ok(cells)
}

/// `payload` without the changes `refused` names (a peer's changes this node refused and
/// those built on them, each mapped to its dependencies), so that the rest of the message
/// is still taken, and with `carried` (changes this node had taken from earlier messages
/// but not stored yet, which automerge applied with this one) added. The heads the peer claims are rewritten the same way: a refused head
/// stands for what it was built on, which `heads_of` reduces to heads. Otherwise this
/// node would keep asking for what it refuses, and the pair would answer each other for
/// ever.
pub fn without_changes(
    payload: &[u8],
    refused: &std::collections::HashMap<[u8; 32], Vec<[u8; 32]>>,
    carried: &[Vec<u8>],
    heads_of: impl FnOnce(&[[u8; 32]]) -> Vec<[u8; 32]>,
) -> Result<Vec<u8>, DocError> {
    let mut message =
        crate::document::caught("reading a sync message", || Message::decode(payload))?
            .map_err(|e| DocError::BadMessage(e.to_string()))?;
    // Encoding it again asserts what `check_message` checks.
    check_message(&message)?;
    let mut budget = Budget::message();
    let mut kept_chunks = Vec::new();
    let mut kept_hashes = std::collections::HashSet::new();
    // What this node took before counts against no peer's budget.
    let mut carried_budget = Budget::unlimited();
    let elements = message
        .changes
        .iter()
        .map(|e| (e, false))
        .chain(carried.iter().map(|e| (e.as_slice(), true)));
    for (element, is_carried) in elements {
        let mut kept = Vec::new();
        let mut rest = element;
        while !rest.is_empty() {
            let budget = if is_carried {
                &mut carried_budget
            } else {
                &mut budget
            };
            let (header, len) = next_change_chunk(rest, budget)?;
            let (chunk, tail) = rest.split_at(len.min(rest.len()));
            if !refused.contains_key(&header.hash) && kept_hashes.insert(header.hash) {
                kept.extend_from_slice(chunk);
            }
            rest = tail;
        }
        if !kept.is_empty() {
            kept_chunks.push(kept);
        }
    }
    message.changes = kept_chunks.into();
    // Claimed heads this node refused stand for what they were built on; the others stay.
    let (mut heads, mut expanded) = (Vec::new(), Vec::new());
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<([u8; 32], bool)> = message.heads.iter().map(|h| (h.0, false)).collect();
    while let Some((head, from_refused)) = stack.pop() {
        if !seen.insert(head) {
            continue;
        }
        match refused.get(&head) {
            Some(deps) => stack.extend(deps.iter().map(|d| (*d, true))),
            None if from_refused => expanded.push(head),
            None => heads.push(head),
        }
    }
    if !expanded.is_empty() {
        expanded.extend(heads);
        heads = heads_of(&expanded);
    }
    heads.sort_unstable();
    heads.dedup();
    message.heads = heads.into_iter().map(automerge::ChangeHash).collect();
    Ok(message.encode())
}

/// A chunk's hash as automerge computes it (over the inflated form of a compressed change),
/// and that inflated body, which may be at most `limit` bytes.
fn chunk_hash(chunk_type: u8, data: &[u8], limit: usize) -> Result<([u8; 32], Vec<u8>), DocError> {
    use sha2::{Digest, Sha256};
    let (hashed_type, body) = if chunk_type == CHUNK_COMPRESSED {
        let mut out = Vec::new();
        let mut decoder = flate2::bufread::DeflateDecoder::new(data);
        decoder
            .by_ref()
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|_| refused("a chunk that does not inflate"))?;
        if out.len() > limit {
            return Err(refused("a chunk that inflates past the limit"));
        }
        (CHUNK_CHANGE, out)
    } else {
        (chunk_type, data.to_vec())
    };
    let mut header = vec![hashed_type];
    write_uleb(&mut header, body.len() as u64);
    let digest = Sha256::new()
        .chain_update(&header)
        .chain_update(&body)
        .finalize();
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&digest);
    Ok((hash, body))
}

/// Whether `bytes` are whole chunks whose checksums hold. automerge's `load_incremental`
/// skips a chunk it cannot read without a word; stored chunks are checked with this first,
/// so a damaged one is noticed and kept aside instead of silently dropped. A compressed
/// chunk's checksum covers what it inflates to (within [`MAX_INFLATED`]).
pub fn check_integrity(mut bytes: &[u8]) -> Result<(), DocError> {
    if bytes.is_empty() {
        return Err(refused("an empty chunk"));
    }
    while !bytes.is_empty() {
        let mut r = Cursor(bytes);
        if r.take(4)? != MAGIC {
            return Err(refused("a chunk without automerge's magic bytes"));
        }
        let checksum = r.take(4)?;
        let chunk_type = r.take(1)?[0];
        let len = r.len()?;
        let data = r.take(len)?;
        let (hash, _) = chunk_hash(chunk_type, data, MAX_INFLATED)?;
        if hash.get(..4) != Some(checksum) {
            return Err(refused("a chunk whose checksum does not hold"));
        }
        bytes = r.0;
    }
    Ok(())
}

/// Inflates `deflated` into a scratch buffer, failing as soon as it passes `budget`.
fn inflate_within(deflated: &[u8], budget: &mut Budget) -> Result<(), DocError> {
    let mut decoder = flate2::bufread::DeflateDecoder::new(deflated);
    let mut scratch = [0u8; 16 * 1024];
    loop {
        let n = decoder
            .read(&mut scratch)
            .map_err(|_| refused("a chunk that does not inflate"))?;
        if n == 0 {
            return Ok(());
        }
        budget.inflated = budget
            .inflated
            .checked_sub(n)
            .ok_or_else(|| refused("changes that inflate past the limit for one message"))?;
    }
}

/// An unsigned LEB128 number, as automerge writes lengths.
fn write_uleb(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads the parts of automerge's encoding the checks need; every length is checked
/// against what is really there before it is used.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DocError> {
        if self.0.len() < n {
            return Err(refused("a chunk cut short"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn uleb(&mut self) -> Result<u64, DocError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(refused("a number too long"))
    }

    /// A signed LEB128 number, as automerge writes run lengths.
    fn sleb(&mut self) -> Result<i64, DocError> {
        let mut value: i64 = 0;
        let mut shift = 0u32;
        loop {
            let byte = self.take(1)?[0];
            if shift >= 64 {
                return Err(refused("a number too long"));
            }
            value |= i64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
        }
    }

    /// A length, which cannot be more than what is left.
    fn len(&mut self) -> Result<usize, DocError> {
        let n = usize::try_from(self.uleb()?).map_err(|_| refused("a length too large"))?;
        if n > self.0.len() {
            return Err(refused("a length past the end"));
        }
        Ok(n)
    }

    /// Column metadata: a count, then (specification, data length) pairs.
    fn columns(&mut self) -> Result<Vec<(u64, usize)>, DocError> {
        let count = self.uleb()?;
        let mut columns = Vec::new();
        for _ in 0..count {
            // Each pair takes at least two bytes: a count beyond that is a lie.
            if self.0.len() < 2 {
                return Err(refused("column metadata cut short"));
            }
            let spec = self.uleb()?;
            let len = usize::try_from(self.uleb()?).map_err(|_| refused("a column too long"))?;
            columns.push((spec, len));
        }
        Ok(columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DocKind, Document};
    use std::io::Write;

    fn deflate(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn chunk(chunk_type: u8, data: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend([0; 4]);
        out.push(chunk_type);
        write_uleb(&mut out, data.len() as u64);
        out.extend(data);
        out
    }

    /// A private document with `n` notes long enough for automerge to deflate columns.
    fn document_with_notes(n: usize) -> Document {
        let mut doc = Document::new(DocKind::Private).unwrap();
        for i in 0..n {
            doc.put(&note(
                &format!("n{i}"),
                &"call the laser shop about the jig ".repeat(8),
            ))
            .unwrap();
        }
        doc
    }

    fn note(id: &str, text: &str) -> ivej_model::PrivateNote {
        ivej_model::PrivateNote {
            id: id.into(),
            about: None,
            text: text.into(),
            created_at: 1,
            updated_at: 1,
        }
    }

    #[test]
    fn what_automerge_saves_passes_whole_and_incremental() {
        let mut doc = document_with_notes(200);
        let whole = doc.save();
        let mut budget = Budget::message();
        check_chunks(&whole, &mut budget).unwrap();
        assert!(
            budget.inflated < MAX_INFLATED,
            "the saved document has deflated columns"
        );
        doc.put(&note("last", "one more")).unwrap();
        let more = doc.save_incremental();
        check_chunks(&[whole, more].concat(), &mut Budget::message()).unwrap();
    }

    #[test]
    fn saved_chunks_are_intact_and_a_cut_or_flipped_one_is_not() {
        let mut doc = document_with_notes(50);
        let whole = doc.save();
        check_integrity(&whole).unwrap();
        doc.put(&note("last", "one more")).unwrap();
        let change = doc.save_incremental();
        check_integrity(&change).unwrap();
        check_integrity(&[whole.clone(), change.clone()].concat()).unwrap();
        assert!(
            check_integrity(&change[..change.len() - 3]).is_err(),
            "cut short"
        );
        let mut flipped = change.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0xff;
        assert!(check_integrity(&flipped).is_err(), "a flipped byte");
        assert!(check_integrity(&[]).is_err());
    }

    #[test]
    fn a_compressed_chunk_that_inflates_past_the_limit_is_refused() {
        let bomb = deflate(&vec![0u8; MAX_INFLATED + 1]);
        assert!(bomb.len() < 128 * 1024, "small on the wire: {}", bomb.len());
        let mut budget = Budget::message();
        assert!(matches!(
            check_chunks(&chunk(CHUNK_COMPRESSED, &bomb), &mut budget),
            Err(DocError::Refused(_))
        ));
        // Two halves in one message count together.
        let half = chunk(CHUNK_COMPRESSED, &deflate(&vec![0u8; MAX_INFLATED / 2 + 1]));
        let mut budget = Budget::message();
        assert!(check_chunks(&[half.clone(), half].concat(), &mut budget).is_err());
    }

    #[test]
    fn a_document_column_that_inflates_past_the_limit_is_refused() {
        let column = deflate(&vec![7u8; MAX_INFLATED + 1]);
        let mut data = vec![0u8, 0]; // no actors, no heads
        data.push(1); // one change column
        data.push(COLUMN_DEFLATED as u8);
        write_uleb(&mut data, column.len() as u64);
        data.push(0); // no op columns
        data.extend(&column);
        let mut budget = Budget::message();
        assert!(check_chunks(&chunk(CHUNK_DOCUMENT, &data), &mut budget).is_err());
    }

    #[test]
    fn unsorted_hashes_are_refused_and_stored_states_are_put_in_order() {
        let (a, b) = (
            automerge::ChangeHash([1; 32]),
            automerge::ChangeHash([2; 32]),
        );
        assert!(check_sorted(&[a, b]).is_ok());
        assert!(check_sorted(&[b, a]).is_err());
        assert!(check_sorted(&[a, a]).is_err());
        // A stored state as automerge encodes one (0x43, a count, the hashes), out of order.
        let mut stored = vec![0x43, 3];
        for hash in [b, a, b] {
            stored.extend(hash.0);
        }
        let decoded = decode_sync_state(&stored).unwrap();
        assert_eq!(decoded.shared_heads, vec![a, b]);
    }

    #[test]
    fn bloom_filters_automerge_would_choke_on_are_refused() {
        // entries, bits per entry, probes, bits
        assert!(check_bloom(&[]).is_ok());
        assert!(check_bloom(&[1, 10, 7, 0xff, 0xff]).is_ok());
        assert!(check_bloom(&[1, 0, 1]).is_err(), "zero bits per entry");
        assert!(check_bloom(&[1, 10, 0, 0xff, 0xff]).is_err(), "no probes");
        assert!(
            check_bloom(&[1, 10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff]).is_err(),
            "u32::MAX probes"
        );
        assert!(check_bloom(&[1, 10, 7]).is_err(), "no bits");
        assert!(check_bloom(&[0x80]).is_err(), "cut short");
    }

    #[test]
    fn a_bundle_chunk_is_refused_in_a_message() {
        let mut budget = Budget::message();
        assert!(matches!(
            check_chunks(&chunk(CHUNK_BUNDLE, &[0; 8]), &mut budget),
            Err(DocError::Refused(_))
        ));
    }

    #[test]
    fn junk_chunks_are_refused_without_panicking() {
        for junk in [
            &b"\x85\x6f\x4a\x83"[..],
            b"\x85\x6f\x4a\x83\0\0\0\0\x07\x00",
            b"\x85\x6f\x4a\x83\0\0\0\0\x00\xff\xff\xff\xff\x0f",
            b"not a chunk",
        ] {
            assert!(
                check_chunks(junk, &mut Budget::message()).is_err(),
                "{junk:?}"
            );
        }
    }

    /// A peer's message with a change the receiver refuses, one built on it, and one made
    /// beside them: the message keeps only the last, claims heads the receiver can reach,
    /// and a change carried over from an earlier message goes in once.
    #[test]
    fn a_message_without_refused_changes_keeps_the_rest_and_claims_heads_the_receiver_can_reach() {
        let mut peer = document_with_notes(1);
        let base = peer.save();
        let base_head = peer.heads()[0].0;
        let mut beside = Document::load(DocKind::Private, &base).unwrap();
        peer.put(&note("refused", "not yours")).unwrap();
        let refused_hash = peer.heads()[0].0;
        peer.put(&note("built-on", "on top")).unwrap();
        let built_on_hash = peer.heads()[0].0;
        beside.put(&note("kept", "made beside")).unwrap();
        let kept_hash = beside.heads()[0].0;
        peer.load_incremental(&beside.save_incremental()).unwrap();

        // The receiver holds the base; it asks, the peer answers with the three changes.
        let mut receiver = Document::load(DocKind::Private, &base).unwrap();
        let (mut ours, mut theirs) = (automerge::sync::State::new(), automerge::sync::State::new());
        let ask = receiver.generate_sync_message(&mut ours).unwrap().unwrap();
        peer.receive_sync_message(&mut theirs, &ask).unwrap();
        let payload = peer.generate_sync_message(&mut theirs).unwrap().unwrap();
        let sent: Vec<[u8; 32]> = change_headers(&payload)
            .unwrap()
            .iter()
            .map(|h| h.hash)
            .collect();
        assert_eq!(sent.len(), 3);

        let refused = std::collections::HashMap::from([
            (refused_hash, vec![base_head]),
            (built_on_hash, vec![refused_hash]),
        ]);
        let carried = receiver
            .change_bytes(&base_head)
            .into_iter()
            .collect::<Vec<_>>();
        let kept_bytes = beside.change_bytes(&kept_hash).unwrap();
        let filtered = without_changes(&payload, &refused, &[kept_bytes], |h| {
            receiver.heads_among(h)
        })
        .unwrap();
        let left: Vec<[u8; 32]> = change_headers(&filtered)
            .unwrap()
            .iter()
            .map(|h| h.hash)
            .collect();
        assert_eq!(left, vec![kept_hash], "only the change made beside, once");
        let message = Message::decode(&filtered).unwrap();
        let mut heads: Vec<[u8; 32]> = message.heads.iter().map(|h| h.0).collect();
        heads.sort_unstable();
        let mut expected = vec![base_head, kept_hash];
        expected.sort_unstable();
        assert_eq!(
            heads, expected,
            "the refused heads stand for what they were built on"
        );

        receiver.receive_sync_message(&mut ours, &filtered).unwrap();
        assert_eq!(receiver.heads_among(&heads), vec![kept_hash]);
        assert!(!receiver.has_change(&refused_hash) && !receiver.has_change(&built_on_hash));
        assert!(
            carried.len() == 1,
            "a change the receiver holds is a chunk it can carry"
        );
    }

    /// A change whose action column declares a billion ops in ten bytes: automerge would
    /// build them all; it is refused before automerge sees it, in a message and on its
    /// own, while real changes pass.
    #[test]
    fn a_change_that_declares_a_billion_ops_in_a_few_bytes_is_refused() {
        let mut body = Vec::new();
        write_uleb(&mut body, 0); // no dependencies
        write_uleb(&mut body, 16);
        body.extend([7u8; 16]); // actor
        write_uleb(&mut body, 1); // seq
        write_uleb(&mut body, 1); // start op
        write_uleb(&mut body, 0); // time
        write_uleb(&mut body, 0); // no message
        write_uleb(&mut body, 0); // no other actors
        let mut column = Vec::new();
        // A run of a billion times the action `set`: signed LEB128 of 1e9, then 1.
        let mut n: i64 = 1_000_000_000;
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if (n == 0 && byte & 0x40 == 0) || (n == -1 && byte & 0x40 != 0) {
                column.push(byte);
                break;
            }
            column.push(byte | 0x80);
        }
        write_uleb(&mut column, 1);
        write_uleb(&mut body, 1); // one column
        write_uleb(&mut body, (4 << 4) | 2); // action: integers, run-length encoded
        write_uleb(&mut body, column.len() as u64);
        body.extend(&column);
        let bomb = chunk(CHUNK_CHANGE, &body);
        assert!(bomb.len() < 64, "{} bytes", bomb.len());
        assert!(matches!(
            check_chunks(&bomb, &mut Budget::message()),
            Err(DocError::Refused(e)) if e.contains("more ops")
        ));

        // Inside a sync message, as a peer would send it.
        let mut peer = document_with_notes(3);
        let mut receiver = Document::new(DocKind::Private).unwrap();
        let (mut theirs, mut ours) = (automerge::sync::State::new(), automerge::sync::State::new());
        let ask = receiver.generate_sync_message(&mut ours).unwrap().unwrap();
        peer.receive_sync_message(&mut theirs, &ask).unwrap();
        let honest = peer.generate_sync_message(&mut theirs).unwrap().unwrap();
        assert!(change_headers(&honest).is_ok());
        let mut message = Message::decode(&honest).unwrap();
        message.changes = vec![bomb].into();
        let crafted = message.encode();
        assert!(change_headers(&crafted).is_err());
        assert!(matches!(
            receiver.receive_sync_message(&mut ours, &crafted),
            Err(DocError::Refused(e)) if e.contains("more ops")
        ));
        // Real changes count what they hold.
        let cells = op_cells(&peer.save_incremental()).unwrap_or(0);
        let saved: u64 = peer
            .automerge_mut()
            .get_changes(&[])
            .iter()
            .map(|c| op_cells(c.raw_bytes()).unwrap())
            .sum();
        assert!(saved > 0 && cells <= saved, "{cells} {saved}");
    }
}
