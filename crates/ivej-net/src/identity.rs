use ivej_model::hex::{decode as unhex, encode as hex};
use ivej_node::Node;

use crate::channel::NOISE_PARAMS;
use crate::error::NetError;

/// This device's Noise static key pair, kept in the data directory (never synced).
#[derive(Clone)]
pub struct DeviceKeys {
    pub private: Vec<u8>,
    pub public: Vec<u8>,
}

impl std::fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("DeviceKeys")
            .field("public", &hex(&self.public))
            .finish()
    }
}

impl DeviceKeys {
    /// The device's keys, created on first use.
    pub fn load_or_create(node: &Node) -> Result<DeviceKeys, NetError> {
        let stored = (
            node.local_setting("noise_private")?,
            node.local_setting("noise_public")?,
        );
        if let (Some(private), Some(public)) = stored {
            if let (Some(private), Some(public)) = (unhex(&private), unhex(&public)) {
                if private.len() == 32 && public.len() == 32 {
                    return Ok(DeviceKeys { private, public });
                }
            }
        }
        let params = NOISE_PARAMS.parse().map_err(NetError::Handshake)?;
        let pair = snow::Builder::new(params)
            .generate_keypair()
            .map_err(NetError::Handshake)?;
        node.set_local_setting("noise_private", &hex(&pair.private))?;
        node.set_local_setting("noise_public", &hex(&pair.public))?;
        Ok(DeviceKeys {
            private: pair.private,
            public: pair.public,
        })
    }
}
