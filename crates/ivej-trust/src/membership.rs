//! A node's view of who is in the street: the authority's key, the certificates it has
//! seen (each checked against its issuer when it arrived), and the revocations.
//!
//! Rules (each tested below):
//! - The street authority may certify anything. An enrolment may certify devices, up to its
//!   `uses`, issued within its validity, of its organisation, or each of a new organisation
//!   whose id [`crate::derived_org_id`] derives. A device may certify enrolments of its own
//!   organisation, of at most its own role. Nothing else certifies anything.
//! - A certificate is only kept when its issuer is already known and may give it, so what
//!   is stored is bounded by what the authority let in.
//! - A revoked device, enrolment or organisation, and everything certified below it, is out.

use std::collections::{HashMap, HashSet};

use crate::cert::{CertKind, Certificate, Role};
use crate::revocation::{Revocation, RevocationTarget};
use crate::TrustError;

/// How long a chain may be: authority, enrolment, device, enrolment, device.
pub const MAX_CHAIN: usize = 4;
/// Invites one device may make for its own organisation's devices, and their uses.
pub const MAX_DEVICE_INVITES: usize = 32;
pub const MAX_DEVICE_INVITE_USES: u16 = 8;
/// How far in the future a certificate may say it was issued (clocks differ).
const CLOCK_SKEW_MS: i64 = 24 * 3600 * 1000;

pub(crate) fn short(key: &[u8; 32]) -> String {
    key[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// Who a device is, as its certificate says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub device_id: String,
    pub org_id: String,
    pub role: Role,
    pub sign_key: [u8; 32],
    pub noise_key: [u8; 32],
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct Membership {
    street_id: String,
    authority: [u8; 32],
    certs: HashMap<[u8; 32], Certificate>,
    /// Devices each enrolment certified, in the order they were seen.
    enrolled: HashMap<[u8; 32], Vec<[u8; 32]>>,
    revocations: Vec<Revocation>,
    revoked_keys: HashSet<[u8; 32]>,
    revoked_orgs: HashSet<String>,
    cut: HashSet<[u8; 32]>,
}

impl Membership {
    pub fn new(street_id: &str, authority: [u8; 32]) -> Self {
        Membership {
            street_id: street_id.to_string(),
            authority,
            certs: HashMap::new(),
            enrolled: HashMap::new(),
            revocations: Vec::new(),
            revoked_keys: HashSet::new(),
            revoked_orgs: HashSet::new(),
            cut: HashSet::new(),
        }
    }

    pub fn authority(&self) -> [u8; 32] {
        self.authority
    }

    pub fn street_id(&self) -> &str {
        &self.street_id
    }

    pub fn certificate(&self, subject: &[u8; 32]) -> Option<&Certificate> {
        self.certs.get(subject)
    }

    /// Every certificate known, issuers before what they issued.
    pub fn certificates(&self) -> Vec<&Certificate> {
        let mut all: Vec<&Certificate> = self.certs.values().collect();
        all.sort_by_key(|c| (self.depth(c), c.fields.issued_ms, c.fields.subject));
        all
    }

    fn depth(&self, cert: &Certificate) -> usize {
        let mut depth = 0;
        let mut issuer = cert.issuer;
        while issuer != self.authority && depth < MAX_CHAIN {
            match self.certs.get(&issuer) {
                Some(parent) => issuer = parent.issuer,
                None => break,
            }
            depth += 1;
        }
        depth
    }

    pub fn revocations(&self) -> &[Revocation] {
        &self.revocations
    }

    /// The chain from the authority's first certificate down to `subject`'s, to present to
    /// a peer that may not know the issuers yet.
    pub fn chain(&self, subject: &[u8; 32]) -> Vec<Certificate> {
        let mut chain = Vec::new();
        let mut key = *subject;
        while let Some(cert) = self.certs.get(&key) {
            chain.push(cert.clone());
            if cert.issuer == self.authority || chain.len() > MAX_CHAIN {
                break;
            }
            key = cert.issuer;
        }
        chain.reverse();
        chain
    }

    /// Takes a certificate if its issuer is known and may give it; returns whether it was
    /// new. `now_ms` bounds how far ahead of this node's clock it may say it was issued.
    pub fn add_certificate(&mut self, cert: Certificate, now_ms: i64) -> Result<bool, TrustError> {
        if let Some(known) = self.certs.get(&cert.fields.subject) {
            if *known == cert {
                return Ok(false);
            }
            return Err(TrustError::NotPermitted(format!(
                "a second certificate for key {}",
                short(&cert.fields.subject)
            )));
        }
        let f = &cert.fields;
        if f.street_id != self.street_id {
            return Err(TrustError::OtherStreet);
        }
        if f.issued_ms > now_ms.saturating_add(CLOCK_SKEW_MS) {
            return Err(TrustError::NotPermitted("issued in the future".into()));
        }
        if f.kind == CertKind::Device && f.org_id.is_empty() {
            return Err(TrustError::NotPermitted(
                "a device without organisation".into(),
            ));
        }
        if f.kind == CertKind::Device && f.device_id != crate::derived_device_id(&f.subject) {
            return Err(TrustError::NotPermitted(
                "a device id that is not its key's".into(),
            ));
        }
        if cert.issuer != self.authority {
            let parent = self
                .certs
                .get(&cert.issuer)
                .ok_or(TrustError::UnknownIssuer)?;
            if self.depth(parent) + 2 > MAX_CHAIN {
                return Err(TrustError::ChainTooLong(MAX_CHAIN));
            }
            let p = &parent.fields;
            if f.role > p.role {
                return Err(TrustError::NotPermitted(format!(
                    "{} certified by a {}",
                    f.role.name(),
                    p.role.name()
                )));
            }
            match (p.kind, f.kind) {
                (CertKind::Enrolment, CertKind::Device) => {
                    let org_ok = if p.org_id.is_empty() {
                        f.org_id == crate::derived_org_id(&p.subject, &f.subject)
                    } else {
                        f.org_id == p.org_id
                    };
                    if !org_ok {
                        return Err(TrustError::NotPermitted(
                            "a device of an organisation its invite is not for".into(),
                        ));
                    }
                    if f.issued_ms < p.issued_ms
                        || (p.expires_ms != 0 && f.issued_ms > p.expires_ms)
                    {
                        return Err(TrustError::Expired);
                    }
                    let used = self.enrolled.get(&p.subject).map_or(0, Vec::len);
                    if used >= usize::from(p.uses) {
                        return Err(TrustError::UsedUp(p.uses));
                    }
                }
                (CertKind::Device, CertKind::Enrolment) => {
                    if f.org_id != p.org_id {
                        return Err(TrustError::NotPermitted(
                            "an invite for another organisation".into(),
                        ));
                    }
                    // What a member's device may let in is bounded, so what peers store is.
                    let issued = self
                        .certs
                        .values()
                        .filter(|c| c.issuer == cert.issuer)
                        .count();
                    if f.uses > MAX_DEVICE_INVITE_USES || issued >= MAX_DEVICE_INVITES {
                        return Err(TrustError::NotPermitted(format!(
                            "more than {MAX_DEVICE_INVITES} invites of at most \
                             {MAX_DEVICE_INVITE_USES} uses from one device"
                        )));
                    }
                }
                _ => {
                    return Err(TrustError::NotPermitted(
                        "a certificate its issuer's kind cannot give".into(),
                    ))
                }
            }
        }
        if f.kind == CertKind::Device && cert.issuer != self.authority {
            self.enrolled
                .entry(cert.issuer)
                .or_default()
                .push(f.subject);
        }
        self.certs.insert(f.subject, cert);
        Ok(true)
    }

    /// Takes a revocation if the street authority signed it; returns whether it was new.
    pub fn add_revocation(&mut self, revocation: Revocation) -> Result<bool, TrustError> {
        if revocation.street_id != self.street_id {
            return Err(TrustError::OtherStreet);
        }
        if revocation.issuer != self.authority {
            return Err(TrustError::NotPermitted(
                "a revocation not from the street's authority".into(),
            ));
        }
        if self.revocations.contains(&revocation) {
            return Ok(false);
        }
        match &revocation.target {
            RevocationTarget::Device(key) | RevocationTarget::Enrolment(key) => {
                self.revoked_keys.insert(*key);
            }
            RevocationTarget::Organisation(org) => {
                self.revoked_orgs.insert(org.clone());
            }
        }
        self.cut.extend(revocation.cut.iter().copied());
        self.revocations.push(revocation);
        Ok(true)
    }

    /// Who `subject` is, if its certificate and every one above it stand and none is
    /// revoked.
    pub fn identity(&self, subject: &[u8; 32]) -> Result<Identity, TrustError> {
        let identity = self.identity_even_if_revoked(subject)?;
        if let Some(why) = self.revoked(subject) {
            return Err(TrustError::Revoked(why));
        }
        Ok(identity)
    }

    /// Who `subject` was certified as, revoked or not (to judge its changes from before
    /// the revocation, and to list it).
    pub fn identity_even_if_revoked(&self, subject: &[u8; 32]) -> Result<Identity, TrustError> {
        let cert = self
            .certs
            .get(subject)
            .ok_or_else(|| TrustError::NotCertified(format!("key {}", short(subject))))?;
        let f = &cert.fields;
        if f.kind != CertKind::Device {
            return Err(TrustError::NotCertified(
                "an invite key is not a device".into(),
            ));
        }
        Ok(Identity {
            device_id: f.device_id.clone(),
            org_id: f.org_id.clone(),
            role: f.role,
            sign_key: f.subject,
            noise_key: f.noise_key,
            label: f.label.clone(),
        })
    }

    /// Why `subject` is out, if it is: it or a certificate above it was revoked, or its
    /// organisation was removed.
    pub fn revoked(&self, subject: &[u8; 32]) -> Option<String> {
        let mut key = *subject;
        for _ in 0..=MAX_CHAIN {
            if self.revoked_keys.contains(&key) {
                return Some(if key == *subject {
                    "the device was revoked".into()
                } else {
                    "the device or invite that enrolled it was revoked".into()
                });
            }
            let cert = self.certs.get(&key)?;
            if !cert.fields.org_id.is_empty() && self.revoked_orgs.contains(&cert.fields.org_id) {
                return Some("its organisation was removed from the street".into());
            }
            if cert.issuer == self.authority {
                return None;
            }
            key = cert.issuer;
        }
        None
    }

    /// Whether the change `hash` by `actor` (whose first 32 bytes are its device's key)
    /// may be taken: always for a device in good standing, and for a revoked one only if
    /// the revocation's cut lists it.
    pub fn change_allowed(&self, actor: &[u8], hash: &[u8; 32]) -> Result<Identity, TrustError> {
        let key: [u8; 32] = actor
            .get(..32)
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| TrustError::NotCertified("an author that is not a device key".into()))?;
        let identity = self.identity_even_if_revoked(&key)?;
        match self.revoked(&key) {
            None => Ok(identity),
            Some(_) if self.cut.contains(hash) => Ok(identity),
            Some(why) => Err(TrustError::Revoked(why)),
        }
    }

    /// Devices whose certificate is known, with why each is out if it is.
    pub fn devices(&self) -> Vec<(Identity, Option<String>, i64)> {
        let mut out: Vec<(Identity, Option<String>, i64)> = self
            .certs
            .values()
            .filter(|c| c.fields.kind == CertKind::Device)
            .filter_map(|c| {
                let id = self.identity_even_if_revoked(&c.fields.subject).ok()?;
                Some((id, self.revoked(&c.fields.subject), c.fields.issued_ms))
            })
            .collect();
        out.sort_by(|a, b| (&a.0.org_id, a.2).cmp(&(&b.0.org_id, b.2)));
        out
    }

    /// The keys (devices and enrolments) certified below `subject`, `subject` included.
    pub fn descendants(&self, subject: &[u8; 32]) -> Vec<[u8; 32]> {
        let mut out = vec![*subject];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i];
            for c in self.certs.values() {
                if c.issuer == parent && !out.contains(&c.fields.subject) {
                    out.push(c.fields.subject);
                }
            }
            i += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::CertificateFields;
    use crate::keys::SigningSecret;

    const NOW: i64 = 1_000_000;

    fn enrolment(
        org: &str,
        role: Role,
        uses: u16,
        expires_ms: i64,
        key: &SigningSecret,
    ) -> CertificateFields {
        CertificateFields {
            kind: CertKind::Enrolment,
            street_id: "s".into(),
            subject: key.public(),
            noise_key: [0; 32],
            device_id: String::new(),
            org_id: org.into(),
            role,
            uses,
            issued_ms: NOW - 10,
            expires_ms,
            label: String::new(),
        }
    }

    fn device(org: &str, role: Role, key: &SigningSecret) -> CertificateFields {
        CertificateFields {
            kind: CertKind::Device,
            street_id: "s".into(),
            subject: key.public(),
            noise_key: [9; 32],
            device_id: crate::derived_device_id(&key.public()),
            org_id: org.into(),
            role,
            uses: 0,
            issued_ms: NOW,
            expires_ms: 0,
            label: "laptop".into(),
        }
    }

    struct Street {
        authority: SigningSecret,
        m: Membership,
    }

    fn street() -> Street {
        let authority = SigningSecret::from_seed([1; 32]);
        let m = Membership::new("s", authority.public());
        Street { authority, m }
    }

    /// A member who joined with a one-use invite for a new organisation.
    fn join(s: &mut Street, seed: u8) -> (SigningSecret, String) {
        let e = SigningSecret::from_seed([seed; 32]);
        let d = SigningSecret::from_seed([seed + 1; 32]);
        let org = crate::derived_org_id(&e.public(), &d.public());
        s.m.add_certificate(
            enrolment("", Role::Member, 1, NOW + 10, &e).sign(&s.authority),
            NOW,
        )
        .unwrap();
        s.m.add_certificate(device(&org, Role::Member, &d).sign(&e), NOW)
            .unwrap();
        (d, org)
    }

    #[test]
    fn a_device_enrolled_with_an_invite_is_a_member_of_the_organisation_it_founded() {
        let mut s = street();
        let (d, org) = join(&mut s, 10);
        let id = s.m.identity(&d.public()).unwrap();
        assert_eq!((id.org_id, id.role), (org, Role::Member));
    }

    #[test]
    fn an_invite_for_new_organisations_cannot_claim_an_existing_one() {
        let mut s = street();
        let (_, victim_org) = join(&mut s, 10);
        let e = SigningSecret::from_seed([20; 32]);
        let d = SigningSecret::from_seed([21; 32]);
        s.m.add_certificate(
            enrolment("", Role::Member, 1, 0, &e).sign(&s.authority),
            NOW,
        )
        .unwrap();
        let claim = device(&victim_org, Role::Member, &d).sign(&e);
        assert!(matches!(
            s.m.add_certificate(claim, NOW),
            Err(TrustError::NotPermitted(_))
        ));
    }

    #[test]
    fn an_invite_certifies_no_more_devices_than_its_uses_and_none_after_it_expired() {
        let mut s = street();
        let e = SigningSecret::from_seed([30; 32]);
        s.m.add_certificate(
            enrolment("o", Role::Member, 1, NOW + 5, &e).sign(&s.authority),
            NOW,
        )
        .unwrap();
        let first = SigningSecret::from_seed([31; 32]);
        s.m.add_certificate(device("o", Role::Member, &first).sign(&e), NOW)
            .unwrap();
        let second = SigningSecret::from_seed([32; 32]);
        assert_eq!(
            s.m.add_certificate(device("o", Role::Member, &second).sign(&e), NOW),
            Err(TrustError::UsedUp(1))
        );
        let e2 = SigningSecret::from_seed([33; 32]);
        s.m.add_certificate(
            enrolment("o", Role::Member, 5, NOW - 1, &e2).sign(&s.authority),
            NOW,
        )
        .unwrap();
        assert_eq!(
            s.m.add_certificate(device("o", Role::Member, &second).sign(&e2), NOW),
            Err(TrustError::Expired)
        );
    }

    #[test]
    fn a_member_cannot_make_itself_facilitator_nor_certify_another_organisation() {
        let mut s = street();
        let (d, org) = join(&mut s, 10);
        let e = SigningSecret::from_seed([40; 32]);
        let up = enrolment(&org, Role::Facilitator, 1, 0, &e).sign(&d);
        assert!(matches!(
            s.m.add_certificate(up, NOW),
            Err(TrustError::NotPermitted(_))
        ));
        let other = enrolment("another", Role::Member, 1, 0, &e).sign(&d);
        assert!(matches!(
            s.m.add_certificate(other, NOW),
            Err(TrustError::NotPermitted(_))
        ));
        // Its own organisation, its own role: a second device.
        s.m.add_certificate(enrolment(&org, Role::Member, 1, 0, &e).sign(&d), NOW)
            .unwrap();
        let d2 = SigningSecret::from_seed([41; 32]);
        s.m.add_certificate(device(&org, Role::Member, &d2).sign(&e), NOW)
            .unwrap();
        assert_eq!(s.m.identity(&d2.public()).unwrap().org_id, org);
        // A device cannot certify a device directly, nor an unknown key anything.
        let d3 = SigningSecret::from_seed([42; 32]);
        assert!(s
            .m
            .add_certificate(device(&org, Role::Member, &d3).sign(&d), NOW)
            .is_err());
        let stranger = SigningSecret::from_seed([43; 32]);
        assert_eq!(
            s.m.add_certificate(device(&org, Role::Member, &d3).sign(&stranger), NOW),
            Err(TrustError::UnknownIssuer)
        );
    }

    #[test]
    fn revoking_a_device_puts_out_what_it_enrolled_and_removing_an_organisation_all_its_devices() {
        let mut s = street();
        let (d, org) = join(&mut s, 10);
        let e = SigningSecret::from_seed([40; 32]);
        s.m.add_certificate(enrolment(&org, Role::Member, 1, 0, &e).sign(&d), NOW)
            .unwrap();
        let d2 = SigningSecret::from_seed([41; 32]);
        s.m.add_certificate(device(&org, Role::Member, &d2).sign(&e), NOW)
            .unwrap();
        let (other, _) = join(&mut s, 50);
        let rev = Revocation::sign(
            &s.authority,
            "s",
            RevocationTarget::Device(d.public()),
            NOW,
            vec![],
        );
        assert!(s.m.add_revocation(rev.clone()).unwrap());
        assert!(!s.m.add_revocation(rev).unwrap());
        assert!(matches!(
            s.m.identity(&d.public()),
            Err(TrustError::Revoked(_))
        ));
        assert!(matches!(
            s.m.identity(&d2.public()),
            Err(TrustError::Revoked(_))
        ));
        assert!(s.m.identity(&other.public()).is_ok());
        let other_org = s.m.identity(&other.public()).unwrap().org_id;
        let removal = Revocation::sign(
            &s.authority,
            "s",
            RevocationTarget::Organisation(other_org),
            NOW,
            vec![],
        );
        s.m.add_revocation(removal).unwrap();
        assert!(s.m.identity(&other.public()).is_err());
    }

    #[test]
    fn only_the_authority_revokes_and_a_cut_keeps_changes_from_before() {
        let mut s = street();
        let (d, _) = join(&mut s, 10);
        let forged = Revocation::sign(&d, "s", RevocationTarget::Device(d.public()), NOW, vec![]);
        assert!(s.m.add_revocation(forged).is_err());
        let mut actor = d.public().to_vec();
        actor.extend([7; 16]);
        let rev = Revocation::sign(
            &s.authority,
            "s",
            RevocationTarget::Device(d.public()),
            NOW,
            vec![[3; 32]],
        );
        s.m.add_revocation(rev).unwrap();
        assert!(s.m.change_allowed(&actor, &[3; 32]).is_ok());
        // Another change, whatever sequence number it claims: refused.
        assert!(s.m.change_allowed(&actor, &[4; 32]).is_err());
    }

    #[test]
    fn a_device_cannot_carry_another_devices_id_and_a_member_cannot_flood_invites() {
        let mut s = street();
        let (d, org) = join(&mut s, 10);
        let e = SigningSecret::from_seed([40; 32]);
        s.m.add_certificate(enrolment(&org, Role::Member, 1, 0, &e).sign(&d), NOW)
            .unwrap();
        let d2 = SigningSecret::from_seed([41; 32]);
        let mut claim = device(&org, Role::Member, &d2);
        claim.device_id = crate::derived_device_id(&d.public());
        assert!(matches!(
            s.m.add_certificate(claim.sign(&e), NOW),
            Err(TrustError::NotPermitted(_))
        ));
        let many = SigningSecret::from_seed([42; 32]);
        let too_many_uses = enrolment(&org, Role::Member, MAX_DEVICE_INVITE_USES + 1, 0, &many);
        assert!(s.m.add_certificate(too_many_uses.sign(&d), NOW).is_err());
        let mut taken = 1;
        for i in 0..100u8 {
            let k = SigningSecret::from_seed([100 + i; 32]);
            if s.m
                .add_certificate(enrolment(&org, Role::Member, 1, 0, &k).sign(&d), NOW)
                .is_ok()
            {
                taken += 1;
            }
        }
        assert_eq!(taken, MAX_DEVICE_INVITES);
    }

    #[test]
    fn chains_are_presented_root_first_and_rebuild_a_fresh_membership() {
        let mut s = street();
        let (d, org) = join(&mut s, 10);
        let chain = s.m.chain(&d.public());
        assert_eq!(chain.len(), 2);
        let mut fresh = Membership::new("s", s.authority.public());
        for cert in chain {
            fresh.add_certificate(cert, NOW).unwrap();
        }
        assert_eq!(fresh.identity(&d.public()).unwrap().org_id, org);
    }
}
