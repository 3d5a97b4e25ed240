//! Key pairs: generating them on aws-lc-rs, encoding them the way hashicorp/tls does (PKCS#1 for
//! RSA, SEC1 for ECDSA, PKCS#8 for Ed25519 and for everyone in `private_key_pem_pkcs8`, OpenSSH,
//! authorized-keys lines and their fingerprints), and reading a private key PEM back for signing.

use aws_lc_rs::encoding::{AsBigEndian, AsDer};
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use sha1::Digest as _;

use crate::common::hex;

/// The key algorithms of hashicorp/tls, by the names configurations use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Rsa,
    Ecdsa,
    Ed25519,
}

impl Algorithm {
    pub const NAMES: [&'static str; 3] = ["RSA", "ECDSA", "ED25519"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "RSA" => Some(Algorithm::Rsa),
            "ECDSA" => Some(Algorithm::Ecdsa),
            "ED25519" => Some(Algorithm::Ed25519),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rsa => "RSA",
            Algorithm::Ecdsa => "ECDSA",
            Algorithm::Ed25519 => "ED25519",
        }
    }

    /// The algorithm of a key rcgen loaded, from the signature algorithm it chose for it.
    pub fn of(key: &rcgen::KeyPair) -> Option<Self> {
        Self::of_signature(key.algorithm())
    }

    /// The key algorithm a signature algorithm belongs to.
    pub fn of_signature(alg: &rcgen::SignatureAlgorithm) -> Option<Self> {
        if alg == &rcgen::PKCS_ED25519 {
            Some(Algorithm::Ed25519)
        } else if [&rcgen::PKCS_ECDSA_P256_SHA256, &rcgen::PKCS_ECDSA_P384_SHA384, &rcgen::PKCS_ECDSA_P521_SHA512]
            .contains(&alg)
        {
            Some(Algorithm::Ecdsa)
        } else if [&rcgen::PKCS_RSA_SHA256, &rcgen::PKCS_RSA_SHA384, &rcgen::PKCS_RSA_SHA512].contains(&alg) {
            Some(Algorithm::Rsa)
        } else {
            None
        }
    }
}

/// The ECDSA curves of hashicorp/tls. P224 is among its names (and its default) but aws-lc-rs
/// cannot sign with it, so configurations choosing it get a diagnostic naming the others.
pub const CURVE_NAMES: [&str; 4] = ["P224", "P256", "P384", "P521"];
pub const SUPPORTED_CURVES: [&str; 3] = ["P256", "P384", "P521"];

/// RSA sizes aws-lc-rs generates (hashicorp/tls takes any size Go's crypto/rsa does).
pub const RSA_BITS: [i64; 4] = [2048, 3072, 4096, 8192];

/// Everything `tls_private_key` computes from one new key.
#[derive(Clone, Debug)]
pub struct KeyMaterial {
    pub private_key_pem: String,
    pub private_key_pem_pkcs8: String,
    pub private_key_openssh: String,
    pub public_key_pem: String,
    pub public_key_openssh: String,
    pub public_key_fingerprint_md5: String,
    pub public_key_fingerprint_sha256: String,
    /// Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo: kubeadm's discovery hash.
    pub public_key_spki_sha256: String,
    /// Hex SHA-1 of the DER SubjectPublicKeyInfo, as hashicorp/tls sets `id`.
    pub id: String,
}

fn crypto_failed(what: &str) -> String {
    format!("The crypto library could not {what}.")
}

/// PEM with LF line endings and 64-character lines, as Go's encoding/pem writes it.
pub fn pem_encode(tag: &str, der: &[u8]) -> String {
    pem::encode_config(&pem::Pem::new(tag, der.to_vec()), pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF))
}

/// A new key pair of `algorithm` (RSA of `rsa_bits`, ECDSA on `curve`), with every encoding.
pub fn generate(algorithm: Algorithm, rsa_bits: i64, curve: &str, comment: &str) -> Result<KeyMaterial, String> {
    match algorithm {
        Algorithm::Rsa => generate_rsa(rsa_bits, comment),
        Algorithm::Ecdsa => generate_ecdsa(curve, comment),
        Algorithm::Ed25519 => generate_ed25519(comment),
    }
}

fn generate_rsa(bits: i64, comment: &str) -> Result<KeyMaterial, String> {
    let size = match bits {
        2048 => aws_lc_rs::rsa::KeySize::Rsa2048,
        3072 => aws_lc_rs::rsa::KeySize::Rsa3072,
        4096 => aws_lc_rs::rsa::KeySize::Rsa4096,
        8192 => aws_lc_rs::rsa::KeySize::Rsa8192,
        other => return Err(format!("RSA keys of {other} bits cannot be generated; use one of {RSA_BITS:?}.")),
    };
    let key = signature::RsaKeyPair::generate(size).map_err(|_| crypto_failed("generate an RSA key"))?;
    let pkcs8 = key.as_der().map_err(|_| crypto_failed("encode the RSA key"))?;
    let spki = key.public_key().as_der().map_err(|_| crypto_failed("encode the RSA public key"))?;
    // PKCS#8 wraps the PKCS#1 RSAPrivateKey in an octet string: hashicorp/tls writes that inner
    // structure as "RSA PRIVATE KEY".
    let info = pkcs8::PrivateKeyInfo::try_from(pkcs8.as_ref()).map_err(|e| format!("PKCS#8 of the new key: {e}"))?;
    let pkcs1 = info.private_key;
    let rsa = pkcs1::RsaPrivateKey::try_from(pkcs1).map_err(|e| format!("PKCS#1 of the new key: {e}"))?;
    let mpint = |b: &[u8]| ssh_key::Mpint::from_positive_bytes(b).map_err(|e| format!("OpenSSH encoding: {e}"));
    let keypair = ssh_key::private::RsaKeypair {
        public: ssh_key::public::RsaPublicKey {
            e: mpint(rsa.public_exponent.as_bytes())?,
            n: mpint(rsa.modulus.as_bytes())?,
        },
        private: ssh_key::private::RsaPrivateKey {
            d: mpint(rsa.private_exponent.as_bytes())?,
            iqmp: mpint(rsa.coefficient.as_bytes())?,
            p: mpint(rsa.prime1.as_bytes())?,
            q: mpint(rsa.prime2.as_bytes())?,
        },
    };
    let ssh = ssh_key::PrivateKey::new(ssh_key::private::KeypairData::Rsa(keypair), comment)
        .map_err(|e| format!("OpenSSH encoding: {e}"))?;
    material(pem_encode("RSA PRIVATE KEY", pkcs1), pkcs8.as_ref(), spki.as_ref(), Some(ssh))
}

fn generate_ecdsa(curve: &str, comment: &str) -> Result<KeyMaterial, String> {
    let alg = match curve {
        "P256" => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        "P384" => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        "P521" => &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
        other => return Err(unsupported_curve(other)),
    };
    let key = EcdsaKeyPair::generate(alg).map_err(|_| crypto_failed("generate an ECDSA key"))?;
    let sec1 = key.private_key().as_der().map_err(|_| crypto_failed("encode the ECDSA key"))?;
    let pkcs8 = key.to_pkcs8v1().map_err(|_| crypto_failed("encode the ECDSA key as PKCS#8"))?;
    let spki = key.public_key().as_der().map_err(|_| crypto_failed("encode the ECDSA public key"))?;
    let scalar = key.private_key().as_be_bytes().map_err(|_| crypto_failed("read the ECDSA private scalar"))?;
    let point = key.public_key().as_ref().to_vec();
    let ssh = ecdsa_openssh(curve, &point, scalar.as_ref(), comment)?;
    material(pem_encode("EC PRIVATE KEY", sec1.as_ref()), pkcs8.as_ref(), spki.as_ref(), Some(ssh))
}

pub fn unsupported_curve(curve: &str) -> String {
    format!(
        "The ECDSA curve {curve:?} is not supported by slipway's crypto library (aws-lc-rs); use one of \"P256\", \"P384\" or \"P521\"."
    )
}

/// ssh-key builds ECDSA keys from curve arithmetic crates we do not otherwise need; its SSH
/// wire decoder takes the raw scalar instead (a length-prefixed big-endian integer).
fn ecdsa_openssh(curve: &str, point: &[u8], scalar: &[u8], comment: &str) -> Result<ssh_key::PrivateKey, String> {
    use ssh_encoding::Decode as _;
    use ssh_key::private::{EcdsaKeypair, EcdsaPrivateKey};
    use ssh_key::public::EcdsaPublicKey;
    let err = |e: ssh_key::Error| format!("OpenSSH encoding: {e}");
    let mut wire = u32::try_from(scalar.len())
        .map_err(|_| "OpenSSH encoding: scalar too long".to_string())?
        .to_be_bytes()
        .to_vec();
    wire.extend_from_slice(scalar);
    let public = EcdsaPublicKey::from_sec1_bytes(point).map_err(err)?;
    let keypair = match (curve, public) {
        ("P256", EcdsaPublicKey::NistP256(public)) => EcdsaKeypair::NistP256 {
            public,
            private: EcdsaPrivateKey::<32>::decode(&mut wire.as_slice()).map_err(err)?,
        },
        ("P384", EcdsaPublicKey::NistP384(public)) => EcdsaKeypair::NistP384 {
            public,
            private: EcdsaPrivateKey::<48>::decode(&mut wire.as_slice()).map_err(err)?,
        },
        ("P521", EcdsaPublicKey::NistP521(public)) => EcdsaKeypair::NistP521 {
            public,
            private: EcdsaPrivateKey::<66>::decode(&mut wire.as_slice()).map_err(err)?,
        },
        _ => return Err(format!("OpenSSH encoding: the public point does not belong to {curve}")),
    };
    ssh_key::PrivateKey::new(ssh_key::private::KeypairData::Ecdsa(keypair), comment).map_err(err)
}

fn generate_ed25519(comment: &str) -> Result<KeyMaterial, String> {
    let key = Ed25519KeyPair::generate().map_err(|_| crypto_failed("generate an Ed25519 key"))?;
    // PKCS#8 v1 (no embedded public key), as Go's x509.MarshalPKCS8PrivateKey writes it.
    let pkcs8 = key.to_pkcs8v1().map_err(|_| crypto_failed("encode the Ed25519 key"))?;
    let spki = key.public_key().as_der().map_err(|_| crypto_failed("encode the Ed25519 public key"))?;
    let seed = key.seed().and_then(|s| s.as_be_bytes()).map_err(|_| crypto_failed("read the Ed25519 seed"))?;
    let seed: [u8; 32] = seed.as_ref().try_into().map_err(|_| "Ed25519 seed is not 32 bytes".to_string())?;
    let public: [u8; 32] =
        key.public_key().as_ref().try_into().map_err(|_| "Ed25519 public key is not 32 bytes".to_string())?;
    let keypair = ssh_key::private::Ed25519Keypair {
        public: ssh_key::public::Ed25519PublicKey(public),
        private: ssh_key::private::Ed25519PrivateKey::from_bytes(&seed),
    };
    let ssh = ssh_key::PrivateKey::new(ssh_key::private::KeypairData::Ed25519(keypair), comment)
        .map_err(|e| format!("OpenSSH encoding: {e}"))?;
    let pkcs8_pem = pem_encode("PRIVATE KEY", pkcs8.as_ref());
    material(pkcs8_pem, pkcs8.as_ref(), spki.as_ref(), Some(ssh))
}

fn material(
    private_key_pem: String,
    pkcs8: &[u8],
    spki: &[u8],
    ssh: Option<ssh_key::PrivateKey>,
) -> Result<KeyMaterial, String> {
    let (private_key_openssh, public) = match &ssh {
        Some(key) => {
            let pem = key.to_openssh(ssh_key::LineEnding::LF).map_err(|e| format!("OpenSSH encoding: {e}"))?;
            (pem.to_string(), Some(key.public_key()))
        }
        None => (String::new(), None),
    };
    let (public_key_openssh, md5, sha256) = match public {
        Some(public) => openssh_public(public)?,
        None => Default::default(),
    };
    Ok(KeyMaterial {
        private_key_pem,
        private_key_pem_pkcs8: pem_encode("PRIVATE KEY", pkcs8),
        private_key_openssh,
        public_key_pem: pem_encode("PUBLIC KEY", spki),
        public_key_openssh,
        public_key_fingerprint_md5: md5,
        public_key_fingerprint_sha256: sha256,
        public_key_spki_sha256: spki_sha256(spki),
        id: hex(&sha1::Sha1::digest(spki)),
    })
}

/// The authorized-keys line (with Go's trailing newline, and without the comment, as
/// `ssh.MarshalAuthorizedKey` writes it) and the MD5 and SHA-256 fingerprints `ssh-keygen -l`
/// prints.
fn openssh_public(public: &ssh_key::PublicKey) -> Result<(String, String, String), String> {
    let err = |e: ssh_key::Error| format!("OpenSSH encoding: {e}");
    let bare = ssh_key::PublicKey::new(public.key_data().clone(), "");
    let line = format!("{}\n", bare.to_openssh().map_err(err)?);
    let blob = bare.to_bytes().map_err(err)?;
    let md5 = md5::Md5::digest(&blob).iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":");
    let sha256 = public.fingerprint(ssh_key::HashAlg::Sha256).to_string();
    Ok((line, md5, sha256))
}

/// Lowercase hex SHA-256 of a DER SubjectPublicKeyInfo. kubeadm's `--discovery-token-ca-cert-hash`
/// is `sha256:` and this, taken over the CA certificate's public key.
pub fn spki_sha256(spki: &[u8]) -> String {
    hex(&sha2::Sha256::digest(spki))
}

/// The PEM labels hashicorp/tls reads private keys from.
const PRIVATE_KEY_LABELS: [&str; 3] = ["RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY"];

/// A private key from PEM (PKCS#1, SEC1 or PKCS#8), ready to sign, and its algorithm.
pub fn parse_private_key(text: &str) -> Result<(rcgen::KeyPair, Algorithm), String> {
    let block = pem::parse(text.trim()).map_err(|e| format!("It is not PEM: {e}."))?;
    if !PRIVATE_KEY_LABELS.contains(&block.tag()) {
        return Err(format!(
            "It is a PEM block of type {:?}; a private key is one of {}.",
            block.tag(),
            PRIVATE_KEY_LABELS.map(|l| format!("{l:?}")).join(", ")
        ));
    }
    let key = rcgen::KeyPair::try_from(block.contents()).map_err(|_| {
        format!(
            "The {:?} block does not hold an RSA, ECDSA (P256, P384, P521) or Ed25519 key slipway can read.",
            block.tag()
        )
    })?;
    let algorithm =
        Algorithm::of(&key).ok_or_else(|| "The key's algorithm is not RSA, ECDSA or ED25519.".to_string())?;
    Ok((key, algorithm))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_round_trips_through_its_pem() {
        for (algorithm, curve) in [
            (Algorithm::Rsa, ""),
            (Algorithm::Ecdsa, "P256"),
            (Algorithm::Ecdsa, "P384"),
            (Algorithm::Ecdsa, "P521"),
            (Algorithm::Ed25519, ""),
        ] {
            let key = generate(algorithm, 2048, curve, "").expect("generated");
            for pem in [&key.private_key_pem, &key.private_key_pem_pkcs8] {
                let (parsed, parsed_algorithm) = parse_private_key(pem).expect("parses");
                assert_eq!(parsed_algorithm, algorithm);
                assert_eq!(parsed.public_key_pem().trim(), key.public_key_pem.trim(), "{algorithm:?} {curve}");
            }
            assert!(key.private_key_openssh.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
            assert!(key.public_key_openssh.ends_with('\n') && !key.public_key_openssh.ends_with("\n\n"));
            assert_eq!(key.public_key_fingerprint_md5.len(), 16 * 3 - 1);
            assert!(key.public_key_fingerprint_sha256.starts_with("SHA256:"));
            assert_eq!(key.public_key_spki_sha256.len(), 64);
        }
    }

    #[test]
    fn pem_labels_follow_hashicorp_tls() {
        let first_line =
            |a, c| generate(a, 2048, c, "").expect("generated").private_key_pem.lines().next().map(str::to_string);
        assert_eq!(first_line(Algorithm::Rsa, "").as_deref(), Some("-----BEGIN RSA PRIVATE KEY-----"));
        assert_eq!(first_line(Algorithm::Ecdsa, "P256").as_deref(), Some("-----BEGIN EC PRIVATE KEY-----"));
        assert_eq!(first_line(Algorithm::Ed25519, "").as_deref(), Some("-----BEGIN PRIVATE KEY-----"));
    }

    #[test]
    fn bad_input_says_what_it_is() {
        assert!(parse_private_key("not a key").expect_err("an error").contains("not PEM"));
        let cert = pem_encode("CERTIFICATE", b"xyz");
        assert!(parse_private_key(&cert).expect_err("an error").contains("\"CERTIFICATE\""));
        let junk = pem_encode("PRIVATE KEY", b"xyz");
        assert!(parse_private_key(&junk).expect_err("an error").contains("does not hold"));
        assert!(
            generate(Algorithm::Ecdsa, 0, "P224", "").expect_err("an error").contains("\"P256\", \"P384\" or \"P521\"")
        );
        assert!(generate(Algorithm::Rsa, 1000, "", "").expect_err("an error").contains("1000 bits"));
    }
}
