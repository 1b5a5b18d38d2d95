using System.Globalization;
using System.Net;
using PeerManagement.Sample.Node.Lab;
using PeerManagement.Sample.Node.Real;
using PeerManagement.Sample.Node.Terminal;

namespace PeerManagement.Sample.Node;

/// <summary>The sample's entry point, callable in-process (tests) with its own output.</summary>
public static class SampleApp
{
    /// <summary>The exit code after Ctrl+C (SIGINT), as shells report an interrupted command.</summary>
    public const int StoppedExitCode = 130;

    /// <summary>The exit code after SIGTERM (kill, systemd, docker stop), as shells report a terminated command.</summary>
    public const int TerminatedExitCode = 143;

    /// <summary>The usage text.</summary>
    public const string Usage = """
        Usage: PeerManagement.Sample.Node [options]

        With no options: runs a lab network of nodes on loopback (127.11.0.1, 127.12.0.1, ...), shows their tables
        until they converge, prints a summary and exits 0 (1 when not converged within the time limit, 130 on Ctrl+C).

          --nodes N          number of lab nodes, at least 4 (default 8; the last two misbehave)
          --data-dir PATH    where each node keeps node-i/peers.json (default: <temp>/peermanagement-sample)
          --timeout SECONDS  time limit to converge (default 90)
          --ask-rate N       after converging, ask node-1 server.peers.subscribe N times a second for 20 s
                             while the nodes keep checking, and print the answer cache's hit rate
          --port PORT        the port every node listens on, each on its own address (default 50001; 0: any)
          --redis HOST:PORT  also run a fleet of 3 instances sharing one table on that Redis, checking the lab's
                             nodes, and print how many checks each instance made
          --help             this text

        Joining a network (one node, status changes as lines, Ctrl+C stops; the lab options above do not apply):
          --network NAME     bitcoin (default), testnet (genesis hash and default ports) or lab (the synthetic chain)
          --seed "REALNAME"  a peer to start from, e.g. "electrum.example.org v1.4 s t" (repeatable)
          --listen IP:PORT[:s|:t]  answer other nodes there over TCP (t, default) or TLS (s, self-signed certificate),
                             and announce IP (when public) as our identity; IPv6 as [::1]:PORT; port 0: any free port
          --allow-private    accept private and loopback peers on bitcoin or testnet too (a private test network)
          --public-host NAME the name to announce instead of the listen address
          --proxy HOST:PORT  the SOCKS5 proxy (default: detected on 127.0.0.1:9050/9150/1080)
          --chain-server "REALNAME"  the Electrum server whose chain we trust (default: the first seed)
          --data-dir PATH    where peers.json is kept (default: <temp>/peermanagement-sample/node)
          --http IP:PORT     serve GET /peers, GET /peers/info and POST /peers there (e.g. 127.0.0.1:8080)
          --redis HOST:PORT  join the fleet on that Redis: one peer table, add_peer pause and rate limit with every
                             node using it (key prefix sample-NETWORK)
        """;

    /// <summary>Runs the sample.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Where the table and summary go.</param>
    /// <param name="error">Where usage errors go.</param>
    /// <param name="interactive">Redraw the table in place; <see langword="null"/>: when the console is a terminal.</param>
    /// <param name="cancellationToken">Stops the run (Ctrl+C).</param>
    /// <returns>The exit code: 0 converged, 1 not converged, 2 bad arguments, 130 stopped (Ctrl+C).</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, bool? interactive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (IsRealUse(args))
        {
            RealNodeSettings real;
            try
            {
                real = ParseReal(args);
            }
            catch (FormatException ex)
            {
                await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                await error.WriteLineAsync(Usage).ConfigureAwait(false);
                return 2;
            }

            try
            {
                return await RealNode.RunAsync(real, output, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidSettingsException ex)
            {
                await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return 2;
            }
        }

        LabSettings settings;
        try
        {
            settings = Parse(args, out var help);
            if (help)
            {
                await output.WriteLineAsync(Usage).ConfigureAwait(false);
                return 0;
            }
        }
        catch (FormatException ex)
        {
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            await error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        var display = interactive is { } redraw
            ? new StatusDisplay(output, redraw)
            : new StatusDisplay(output, !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb");
        try
        {
            var result = await new LabNetwork(settings, display).RunAsync(cancellationToken).ConfigureAwait(false);
            return cancellationToken.IsCancellationRequested ? StoppedExitCode : result.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            display.WriteLine("Stopped while starting; the nodes that had started saved their stores.");
            return StoppedExitCode;
        }
        catch (InvalidSettingsException ex)
        {
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 2;
        }
    }

    /// <summary>Reads the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="help">Whether help was asked for.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="FormatException">An argument is unknown or its value is invalid.</exception>
    public static LabSettings Parse(IReadOnlyList<string> args, out bool help)
    {
        ArgumentNullException.ThrowIfNull(args);
        var settings = new LabSettings();
        help = false;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{name} needs a value.");
            int Number(int min, int max)
            {
                var text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                    ? n
                    : throw new FormatException($"{name} must be a whole number from {min} to {max}, not '{text}'.");
            }

            switch (name)
            {
                case "--nodes":
                    settings = settings with { Nodes = Number(4, 200) };
                    break;
                case "--data-dir":
                    settings = settings with { DataDirectory = Path.GetFullPath(Value()) };
                    break;
                case "--timeout":
                    settings = settings with { TimeLimit = TimeSpan.FromSeconds(Number(1, 86_400)) };
                    break;
                case "--port":
                    settings = settings with { Port = Number(0, 65_535) };
                    break;
                case "--ask-rate":
                    settings = settings with { AskRate = Number(0, 100_000) };
                    break;
                case "--help" or "-h":
                    help = true;
                    break;
                case "--redis":
                    settings = settings with { Redis = ParseRedis(Value()) };
                    break;
                case "--http":
                    throw new FormatException("--http serves one joining node's peers: use it with --seed (the lab network has no admin endpoints).");
                default:
                    throw new FormatException($"Unknown argument '{name}'.");
            }
        }

        return settings;
    }

    /// <summary>Whether the command line asks to join a network rather than run the lab.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns><see langword="true"/> when any joining option is present.</returns>
    public static bool IsRealUse(IReadOnlyList<string> args)
        => args.Any(a => a is "--listen" or "--seed" or "--network" or "--proxy" or "--chain-server" or "--public-host" or "--allow-private");

    /// <summary>Reads the command line of a node joining a network.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="FormatException">An argument is unknown or its value is invalid.</exception>
    public static RealNodeSettings ParseReal(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var settings = new RealNodeSettings();
        var seeds = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{name} needs a value.");
            switch (name)
            {
                case "--network":
                    var network = Value();
                    settings = network is "bitcoin" or "testnet" or "lab"
                        ? settings with { Network = network }
                        : throw new FormatException($"--network must be bitcoin, testnet or lab, not '{network}'.");
                    break;
                case "--seed":
                    var seed = Value();
                    if (!PeerRealName.TryParse(seed.AsSpan(), DefaultPorts.BitcoinMainnet, out _, out var seedError))
                    {
                        throw new FormatException($"--seed '{seed}' is not a real name: {seedError}.");
                    }

                    seeds.Add(seed);
                    break;
                case "--chain-server":
                    settings = settings with { ChainServer = Value() };
                    break;
                case "--listen":
                    var listen = Value();
                    settings = settings with { Listen = ParseListen(listen), ListenTls = listen.EndsWith(":s", StringComparison.Ordinal) };
                    break;
                case "--public-host":
                    settings = settings with { PublicHost = Value() };
                    break;
                case "--proxy":
                    var proxy = Value();
                    var colon = proxy.LastIndexOf(':');
                    settings = colon > 0 && int.TryParse(proxy.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var proxyPort) && proxyPort is > 0 and < 65_536
                        ? settings with { Proxy = (proxy[..colon], proxyPort) }
                        : throw new FormatException($"--proxy must be host:port, not '{proxy}'.");
                    break;
                case "--data-dir":
                    settings = settings with { DataDirectory = Path.GetFullPath(Value()) };
                    break;
                case "--http":
                    settings = settings with { Http = ParseHttp(Value()) };
                    break;
                case "--allow-private":
                    settings = settings with { AllowPrivate = true };
                    break;
                case "--redis":
                    settings = settings with { Redis = ParseRedis(Value()) };
                    break;
                default:
                    throw new FormatException($"Unknown argument '{name}' for joining a network.");
            }
        }

        if (settings.Network != "lab" && seeds.Count == 0 && settings.ChainServer is null)
        {
            throw new FormatException($"--seed (or --chain-server) is needed to join {settings.Network}: the node reads the chain from a server it trusts.");
        }

        return settings with { Seeds = seeds };
    }

    private static IPEndPoint ParseHttp(string text)
        => IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port > 0
            ? endPoint
            : throw new FormatException($"--http must be IP:PORT, e.g. 127.0.0.1:8080, not '{text}'.");

    /// <summary><c>IP:PORT[:s|:t]</c>, IPv6 in brackets (<c>[::1]:50001</c>); port 0 lets the system choose.</summary>
    private static IPEndPoint ParseListen(string text)
    {
        var endPoint = text.EndsWith(":s", StringComparison.Ordinal) || text.EndsWith(":t", StringComparison.Ordinal) ? text[..^2] : text;
        var colon = endPoint.LastIndexOf(':');
        var host = colon > 0 ? endPoint[..colon].Trim('[', ']') : string.Empty;
        // Any address (0.0.0.0, ::) or a literal by the peer rules (no 127.1 or other numeric disguises).
        var address = host is "0.0.0.0" or "::" || (PeerHost.TryParse(host, out var literal) && literal.IsIPAddress);
        return colon > endPoint.LastIndexOf(']') && address
            && IPEndPoint.TryParse(endPoint, out var parsed) && (parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork || endPoint.StartsWith('['))
            ? parsed
            : throw new FormatException($"--listen must be IP:PORT[:s|:t] (IPv6 as [::1]:PORT; port 0 lets the system choose), not '{text}'.");
    }

    /// <summary>Reads <c>--redis HOST:PORT</c> (IPv6 in brackets).</summary>
    /// <param name="text">The value.</param>
    /// <returns>The StackExchange.Redis configuration string.</returns>
    /// <exception cref="FormatException">The value is not host:port.</exception>
    public static string ParseRedis(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(':');
        return colon > 0 && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65_536
            ? text
            : throw new FormatException($"--redis must be HOST:PORT, not '{text}'.");
    }
}
