using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// Step 6 of a good check: sends <c>server.add_peer</c> with our features when announcing is on, we have a public
/// identity of the peer's kind (clearnet, or onion for an onion peer), and the peer's list does not hold us with
/// the same ports. Its failure is logged, never held against the peer.
/// </summary>
internal sealed class SelfAnnouncer(PeerManagementOptions options, OwnIdentities identities, ILogger logger)
{
    public async Task AnnounceAsync(IJsonRpcSession session, PeerHost peer, IReadOnlyList<PeerRealName> reported, CancellationToken cancellationToken)
    {
        if (!options.Announce || identities.ToAnnounceTo(peer) is not { } identity || identity.Host == peer)
        {
            return;
        }

        foreach (var listed in reported)
        {
            if (listed.Host == identity.Host && listed.Ports == identity.Ports)
            {
                return;
            }
        }

        try
        {
            var answer = await session.InvokeAsync("server.add_peer", [identities.Features.ToJsonObject()], cancellationToken).ConfigureAwait(false);
            Log.AnnouncedSelf(logger, peer.Value, answer.ValueKind == JsonValueKind.True);
        }
        catch (Exception ex) when (TransientFailure.Is(ex, cancellationToken))
        {
            Log.AnnounceFailed(logger, peer.Value, ex.Message);
        }
    }
}
