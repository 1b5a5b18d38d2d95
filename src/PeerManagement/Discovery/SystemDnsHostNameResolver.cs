using System.Net;
using System.Net.Sockets;

namespace PeerManagement;

/// <summary>Resolves host names with the operating system's resolver.</summary>
internal sealed class SystemDnsHostNameResolver : IHostNameResolver
{
    public async ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        try
        {
            return await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return [];
        }
        catch (ArgumentException)
        {
            return [];
        }
    }
}
