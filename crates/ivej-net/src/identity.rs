use ivej_model::hex::encode as hex;
use ivej_node::Node;

use crate::error::NetError;

/// This device's Noise static key pair, kept in the data directory by the node (never
/// synced); its public half is what the device's certificate binds.
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
    /// The device's keys (the node creates them with the data directory, and reports a
    /// damaged one rather than replacing it).
    pub fn load_or_create(node: &Node) -> Result<DeviceKeys, NetError> {
        let (private, public) = node.noise_keys()?;
        Ok(DeviceKeys {
            private: private.to_vec(),
            public: public.to_vec(),
        })
    }
}
