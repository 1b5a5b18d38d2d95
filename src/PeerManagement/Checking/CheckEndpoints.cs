namespace PeerManagement;

/// <summary>Where a check tries to reach a peer, in order.</summary>
internal static class CheckEndpoints
{
    /// <summary>SSL first, then TCP, then the remembered alternatives (each SSL then TCP), without repeats.</summary>
    public static List<PeerEndpoint> For(PeerRecord record, IReadOnlyList<PeerPorts> alternatives)
    {
        var endpoints = new List<PeerEndpoint>(2 + (2 * alternatives.Count));
        Add(record.Ports);
        foreach (var ports in alternatives)
        {
            Add(ports);
        }

        return endpoints;

        void Add(PeerPorts ports)
        {
            if (ports.SslPort is { } ssl)
            {
                AddOnce(new PeerEndpoint(record.Host, ssl, PeerTransport.Ssl));
            }

            if (ports.TcpPort is { } tcp)
            {
                AddOnce(new PeerEndpoint(record.Host, tcp, PeerTransport.Tcp));
            }
        }

        void AddOnce(PeerEndpoint endpoint)
        {
            if (!endpoints.Contains(endpoint))
            {
                endpoints.Add(endpoint);
            }
        }
    }
}
