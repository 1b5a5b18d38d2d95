using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace PeerManagement.TestUtilities.Electrum;

/// <summary>
/// An in-memory Electrum server: the answers it gives per method, whether and on which ports it can be reached,
/// the address a connection to it reports, and a record of every call it received.
/// </summary>
public sealed class ScriptedElectrumPeer
{
    private readonly ConcurrentQueue<(string Method, JsonElement Parameters)> _calls = new();

    internal ScriptedElectrumPeer(PeerHost host, IPAddress? address, IReadOnlyDictionary<string, ScriptedAnswer> answers, IReadOnlySet<int>? reachablePorts, bool reachable)
    {
        Host = host;
        Address = address;
        Answers = new ConcurrentDictionary<string, ScriptedAnswer>(answers);
        ReachablePorts = reachablePorts;
        Reachable = reachable;
    }

    public PeerHost Host { get; }

    /// <summary>The address a direct connection reports.</summary>
    public IPAddress? Address { get; set; }

    /// <summary>The TLS public key (SHA-256 hex) a connection reports, as a TLS handshake would.</summary>
    public string? ServerKey { get; set; }

    public ConcurrentDictionary<string, ScriptedAnswer> Answers { get; }

    /// <summary>The ports that accept connections; <see langword="null"/> for all.</summary>
    public IReadOnlySet<int>? ReachablePorts { get; set; }

    public bool Reachable { get; set; }

    public IReadOnlyList<(string Method, JsonElement Parameters)> Calls => [.. _calls];

    public int CallCount(string method) => _calls.Count(c => c.Method == method);

    internal void Record(string method, JsonElement parameters) => _calls.Enqueue((method, parameters));
}
