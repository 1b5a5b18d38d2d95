using System.Net;
using System.Net.Sockets;

namespace PeerManagement;

/// <summary>
/// The default <see cref="IHostNameResolver"/>: the operating system's resolver, for peer hosts only. A name that is
/// not a valid <see cref="PeerHost"/> (e.g. <c>0x7f.1</c> or <c>2130706433</c>, which the system reads as an address
/// without asking DNS, or <c>localhost</c>) resolves to nothing.
/// </summary>
internal sealed class OperatingSystemHostNameResolver : IHostNameResolver
{
    public async ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (!PeerHost.TryParse(host, out _))
        {
            return [];
        }

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
