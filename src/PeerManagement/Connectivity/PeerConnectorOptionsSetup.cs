using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// Lets the connector reach non-public addresses when the manager accepts non-public peers: one switch,
/// <see cref="PeerManagementOptions.AllowNonPublicPeers"/>, opens both. Runs after every configure delegate, so the
/// order of <c>ConfigureConnector</c> and <c>AddPeerManagement</c> does not matter.
/// </summary>
internal sealed class PeerConnectorOptionsSetup(IOptions<PeerManagementOptions> peerOptions) : IPostConfigureOptions<PeerConnectorOptions>
{
    public void PostConfigure(string? name, PeerConnectorOptions options)
    {
        if (peerOptions.Value.AllowNonPublicPeers)
        {
            options.AllowNonPublicAddresses = true;
        }
    }
}
