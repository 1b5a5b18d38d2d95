using System.Net;
using System.Net.Sockets;

namespace PeerManagement;

/// <summary>The default <see cref="IHostNameResolver"/>: the operating system's resolver.</summary>
internal sealed class OperatingSystemHostNameResolver : IHostNameResolver
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
            // A name the resolver refuses (too long, invalid characters) does not resolve.
            return [];
        }
    }
}
