#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
    #[error("the secure handshake failed (wrong street secret, or not an Industrivej peer): {0}")]
    Handshake(snow::Error),
    #[error("a message could not be decrypted: {0}")]
    Crypto(snow::Error),
    #[error("the peer broke the protocol: {0}")]
    Protocol(String),
    #[error("{0} is not an address this device can reach (write it as host:port)")]
    BadAddress(String),
    #[error("the peer took too long")]
    Timeout,
    #[error("the peer closed the connection")]
    Closed,
    #[error("the peer refused this device: {0}")]
    RefusedByPeer(String),
    #[error(transparent)]
    Node(#[from] ivej_node::NodeError),
}
