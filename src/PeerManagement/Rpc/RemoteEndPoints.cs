using System.Net;

namespace PeerManagement;

/// <summary>The normal form of a remote party's end point, set once where a session is created.</summary>
internal static class RemoteEndPoints
{
    /// <summary>An IPv4-mapped IPv6 end point (a dual-mode socket's IPv4 caller) becomes the IPv4 end point; anything else is kept.</summary>
    public static EndPoint? Normalize(EndPoint? endPoint)
        => endPoint is IPEndPoint { Address.IsIPv4MappedToIPv6: true } ip
            ? new IPEndPoint(PeerAddress.Normalize(ip.Address), ip.Port)
            : endPoint;
}
