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
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _lookup;

    /// <summary>Resolves through the operating system (<see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>).</summary>
    public OperatingSystemHostNameResolver()
        : this(Dns.GetHostAddressesAsync)
    {
    }

    /// <summary>Resolves through <paramref name="lookup"/> in place of the system (for tests).</summary>
    internal OperatingSystemHostNameResolver(Func<string, CancellationToken, Task<IPAddress[]>> lookup) => _lookup = lookup;

    public async ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (!PeerHost.TryParse(host, out _))
        {
            return [];
        }

        try
        {
            return await _lookup(host, cancellationToken).ConfigureAwait(false);
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
