using System.Net.Sockets;
using System.Text;

namespace PeerManagement;

/// <summary>The client side of SOCKS5 (RFC 1928) with username/password authentication (RFC 1929).</summary>
internal static class Socks5Protocol
{
    private const byte Version = 5;
    private const byte NoAuthentication = 0;
    private const byte UserNamePassword = 2;
    private const byte NoAcceptableMethod = 0xFF;
    private const byte AuthenticationVersion = 1;
    private const byte ConnectCommand = 1;
    private const byte IPv4Address = 1;
    private const byte DomainName = 3;
    private const byte IPv6Address = 4;

    /// <summary>Greets the proxy and authenticates when it asks for it.</summary>
    /// <exception cref="ProxyException">The proxy does not speak SOCKS5, accepts no offered method, or refused the credentials.</exception>
    public static async ValueTask NegotiateAsync(Stream stream, string? userName, string? password, CancellationToken cancellationToken)
    {
        byte[] greeting = userName is null ? [Version, 1, NoAuthentication] : [Version, 2, NoAuthentication, UserNamePassword];
        await stream.WriteAsync(greeting, cancellationToken).ConfigureAwait(false);
        var reply = new byte[2];
        await ReadAsync(stream, reply, cancellationToken).ConfigureAwait(false);
        if (reply[0] != Version)
        {
            throw new ProxyException($"The proxy answered the greeting with version {reply[0]}; it does not speak SOCKS5.");
        }

        switch (reply[1])
        {
            case NoAuthentication:
                return;
            case UserNamePassword when userName is not null:
                await AuthenticateAsync(stream, userName, password ?? string.Empty, cancellationToken).ConfigureAwait(false);
                return;
            case UserNamePassword:
                throw new ProxyException("The proxy asks for a user name and password (RFC 1929), and none is configured.");
            case NoAcceptableMethod:
                throw new ProxyException(userName is null
                    ? "The proxy accepts no connection without authentication, and no user name and password are configured."
                    : "The proxy accepts none of the offered authentication methods (none, user name and password).");
            default:
                throw new ProxyException($"The proxy chose authentication method {reply[1]}, which was not offered; it does not speak SOCKS5 properly.");
        }
    }

    /// <summary>Asks the proxy for a tunnel to the host and port.</summary>
    /// <exception cref="ProxyException">The proxy refused (its reply is named) or broke the protocol.</exception>
    public static async ValueTask ConnectAsync(Stream stream, PeerHost host, int port, CancellationToken cancellationToken)
    {
        byte[] request;
        if (host.Address is { } address)
        {
            var bytes = address.GetAddressBytes();
            request = new byte[6 + bytes.Length];
            request[3] = address.AddressFamily == AddressFamily.InterNetwork ? IPv4Address : IPv6Address;
            bytes.CopyTo(request, 4);
        }
        else
        {
            // The name goes to the proxy, which resolves it: the only way to reach an onion service.
            var name = Encoding.ASCII.GetBytes(host.Value);
            if (name.Length > 255)
            {
                throw new ProxyException($"The host name {host} is too long for SOCKS5 (at most 255 bytes).");
            }

            request = new byte[7 + name.Length];
            request[3] = DomainName;
            request[4] = (byte)name.Length;
            name.CopyTo(request, 5);
        }

        request[0] = Version;
        request[1] = ConnectCommand;
        request[^2] = (byte)(port >> 8);
        request[^1] = (byte)port;
        await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);

        // Version and reply first: a refusing proxy may close right after them.
        var head = new byte[5];
        await ReadAsync(stream, head.AsMemory(0, 2), cancellationToken).ConfigureAwait(false);
        if (head[0] != Version)
        {
            throw new ProxyException($"The proxy answered the connect request with version {head[0]}; it does not speak SOCKS5.");
        }

        if (head[1] != 0)
        {
            throw new ProxyException($"The proxy refused the tunnel to {host}:{port}: {DescribeReply(head[1])} (SOCKS5 reply {head[1]}).", head[1]);
        }

        await ReadAsync(stream, head.AsMemory(2), cancellationToken).ConfigureAwait(false);

        // The bound address that follows is of no use to us, but must be read off the stream.
        var rest = head[3] switch
        {
            IPv4Address => 4 - 1 + 2,
            IPv6Address => 16 - 1 + 2,
            DomainName => head[4] + 2,
            _ => throw new ProxyException($"The proxy answered with unknown address type {head[3]}; it does not speak SOCKS5 properly."),
        };
        await ReadAsync(stream, new byte[rest], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The name RFC 1928 §6 gives a reply code.</summary>
    public static string DescribeReply(int code) => code switch
    {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unassigned reply code",
    };

    private static async ValueTask AuthenticateAsync(Stream stream, string userName, string password, CancellationToken cancellationToken)
    {
        var user = Encoding.UTF8.GetBytes(userName);
        var pass = Encoding.UTF8.GetBytes(password);
        if (user.Length is 0 or > 255 || pass.Length > 255)
        {
            throw new ProxyException("The proxy user name must be 1 to 255 bytes and the password at most 255 bytes.");
        }

        var request = new byte[3 + user.Length + pass.Length];
        request[0] = AuthenticationVersion;
        request[1] = (byte)user.Length;
        user.CopyTo(request, 2);
        request[2 + user.Length] = (byte)pass.Length;
        pass.CopyTo(request, 3 + user.Length);
        await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);

        var reply = new byte[2];
        await ReadAsync(stream, reply, cancellationToken).ConfigureAwait(false);
        if (reply[0] != AuthenticationVersion)
        {
            throw new ProxyException($"The proxy answered the authentication with version {reply[0]}; it does not speak RFC 1929.");
        }

        if (reply[1] != 0)
        {
            throw new ProxyException($"The proxy refused the user name and password (authentication status {reply[1]}).");
        }
    }

    private static async ValueTask ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException ex)
        {
            throw new ProxyException("The proxy closed the connection in the middle of the SOCKS5 handshake.", ex);
        }
    }
}
