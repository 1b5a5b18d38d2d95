using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// The default <see cref="IPeerVerifier"/>, for the Electrum protocol: <c>server.version</c> first (the answer must
/// be a two-string array), then concurrently the tip and a past header (<c>blockchain.headers.subscribe</c>,
/// <c>blockchain.block.header</c>), the features (<c>server.features</c>: our genesis, the peer's own host listed)
/// and the peer list (<c>server.peers.subscribe</c>: every entry <c>[ip, host, [features]]</c>).
/// </summary>
/// <remarks>
/// A wrong type, a wrong network, a tip too far away, a header that differs from ours, a missing own host or a
/// malformed peer-list entry makes the peer bad. A JSON-RPC error, a timeout or a broken connection is a failed
/// try. A peer-list entry whose host is not valid (e.g. <c>localhost</c>) is dropped, not held against the peer.
/// </remarks>
public sealed class ElectrumPeerVerifier : IPeerVerifier
{
    private readonly IChainView _chain;
    private readonly PeerManagementOptions _options;
    private readonly JsonNode?[] _versionParameters;

    /// <summary>Creates the verifier.</summary>
    /// <param name="chain">Our view of the chain.</param>
    /// <param name="options">The settings (client name, protocol versions, height and split limits, default ports).</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public ElectrumPeerVerifier(IChainView chain, IOptions<PeerManagementOptions> options)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(options);
        _chain = chain;
        _options = options.Value;
        _versionParameters = [_options.ClientName, new JsonArray(_options.ProtocolMin, _options.ProtocolMax)];
    }

    /// <inheritdoc />
    public async ValueTask<PeerVerificationResult> VerifyAsync(PeerVerificationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var session = context.Session;
        try
        {
            var version = await session.InvokeAsync("server.version", CloneParameters(), cancellationToken).ConfigureAwait(false);
            if (!IsTwoStrings(version))
            {
                return PeerVerificationResult.Bad("server.version answer is not a two-string array");
            }
        }
        catch (Exception ex) when (IsFailure(ex, cancellationToken))
        {
            return Failed("server.version", ex);
        }

        using var steps = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var headers = RunStepAsync("blockchain.headers.subscribe", () => CheckHeadersAsync(session, steps.Token), steps, cancellationToken);
        var features = RunStepAsync("server.features", () => ReadFeaturesAsync(context.Peer.Host, session, steps.Token), steps, cancellationToken);
        var peers = RunStepAsync("server.peers.subscribe", () => ReadPeersAsync(session, steps.Token), steps, cancellationToken);
        await Task.WhenAll(headers, features, peers).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        StepResult[] results = [headers.Result, features.Result, peers.Result];
        foreach (var result in results)
        {
            if (result.Outcome == PeerCheckOutcome.Bad)
            {
                return PeerVerificationResult.Bad(result.Reason!);
            }
        }

        foreach (var result in results)
        {
            if (result.Outcome == PeerCheckOutcome.Failed)
            {
                return PeerVerificationResult.Failed(result.Reason!);
            }
        }

        return PeerVerificationResult.Good((PeerFeatures)features.Result.Value!, (IReadOnlyList<PeerRealName>)peers.Result.Value!);
    }

    private static bool IsFailure(Exception ex, CancellationToken cancellationToken) => TransientFailure.Is(ex, cancellationToken);

    private static PeerVerificationResult Failed(string method, Exception ex) => PeerVerificationResult.Failed(Describe(method, ex));

    private static string Describe(string method, Exception ex) => ex switch
    {
        JsonRpcException rpc => $"{method} answered error {rpc.Code}: {rpc.Message}",
        TimeoutException or OperationCanceledException => $"{method} timed out",
        _ => $"{method} failed: {ex.Message}",
    };

    private static async Task<StepResult> RunStepAsync(string method, Func<Task<StepResult>> step, CancellationTokenSource steps, CancellationToken cancellationToken)
    {
        try
        {
            var result = await step().ConfigureAwait(false);
            if (result.Outcome == PeerCheckOutcome.Bad)
            {
                // The verdict is in: the other steps need not finish.
                await steps.CancelAsync().ConfigureAwait(false);
            }

            return result;
        }
        catch (OperationCanceledException) when (steps.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return StepResult.Failed($"{method} was abandoned");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return StepResult.Failed($"{method} was cancelled");
        }
        catch (Exception ex) when (IsFailure(ex, cancellationToken))
        {
            return StepResult.Failed(Describe(method, ex));
        }
    }

    private static bool IsTwoStrings(JsonElement element)
        => element.ValueKind == JsonValueKind.Array
            && element.GetArrayLength() == 2
            && element[0].ValueKind == JsonValueKind.String
            && element[1].ValueKind == JsonValueKind.String;

    private JsonNode?[] CloneParameters() => [_versionParameters[0]!.DeepClone(), _versionParameters[1]!.DeepClone()];

    private async Task<StepResult> CheckHeadersAsync(IJsonRpcSession session, CancellationToken cancellationToken)
    {
        var tip = await session.InvokeAsync("blockchain.headers.subscribe", [], cancellationToken).ConfigureAwait(false);
        if (tip.ValueKind != JsonValueKind.Object
            || !tip.TryGetProperty("height", out var heightElement)
            || heightElement.ValueKind != JsonValueKind.Number
            || !heightElement.TryGetInt32(out var theirs)
            || theirs < 0)
        {
            return StepResult.Bad("blockchain.headers.subscribe answer has no valid integer height");
        }

        var ours = await _chain.GetTipHeightAsync(cancellationToken).ConfigureAwait(false);
        var difference = Math.Abs((long)theirs - ours);
        if (difference > _options.MaxTipHeightDiff)
        {
            return StepResult.Bad($"its height {theirs} is {difference} blocks away from ours ({ours})");
        }

        var height = Math.Max(0, Math.Min(ours, theirs) - _options.MaxChainSplit);
        JsonElement header;
        try
        {
            header = await session.InvokeAsync("blockchain.block.header", [height], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsFailure(ex, cancellationToken))
        {
            // This step sends two requests: the reason names the one that failed.
            return StepResult.Failed(Describe("blockchain.block.header", ex));
        }

        if (header.ValueKind != JsonValueKind.String)
        {
            return StepResult.Bad("blockchain.block.header answer is not a string");
        }

        var ourHeader = await _chain.GetHeaderHexAsync(height, cancellationToken).ConfigureAwait(false);
        if (ourHeader is not null && !header.ValueEquals(ourHeader) && !string.Equals(SafeString(header), ourHeader, StringComparison.OrdinalIgnoreCase))
        {
            return StepResult.Bad($"its header at height {height} does not match ours");
        }

        return StepResult.Good(null);
    }

    private async Task<StepResult> ReadFeaturesAsync(PeerHost host, IJsonRpcSession session, CancellationToken cancellationToken)
    {
        var answer = await session.InvokeAsync("server.features", [], cancellationToken).ConfigureAwait(false);
        if (answer.ValueKind != JsonValueKind.Object)
        {
            return StepResult.Bad("server.features answer is not an object");
        }

        var features = PeerFeatures.FromJson(answer);
        if (!string.Equals(features.GenesisHash, _chain.GenesisHash, StringComparison.OrdinalIgnoreCase))
        {
            return StepResult.Bad("incorrect genesis hash");
        }

        if (!features.Hosts.ContainsKey(host))
        {
            return StepResult.Bad("not listed in its own hosts list");
        }

        return StepResult.Good(features);
    }

    private async Task<StepResult> ReadPeersAsync(IJsonRpcSession session, CancellationToken cancellationToken)
    {
        // The largest answer of a check: read while it is still in the session's read buffer, never copied.
        var defaults = _options.DefaultPorts;
        var peers = await session.InvokeAsync("server.peers.subscribe", [], answer => ParsePeerList(answer, defaults), cancellationToken).ConfigureAwait(false);
        return peers is not null
            ? StepResult.Good(peers)
            : StepResult.Bad("malformed server.peers.subscribe answer");
    }

    /// <summary>Reads <c>[[ip, host, [features]], ...]</c>; <see langword="null"/> when any entry is malformed.</summary>
    internal static List<PeerRealName>? ParsePeerList(JsonElement answer, DefaultPorts defaults)
    {
        if (answer.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var peers = new List<PeerRealName>(Math.Min(answer.GetArrayLength(), 1024));
        var tokens = new List<string>(4);
        foreach (var entry in answer.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Array
                || entry.GetArrayLength() < 3
                || entry[1].ValueKind != JsonValueKind.String
                || entry[2].ValueKind != JsonValueKind.Array
                || SafeString(entry[1]) is not { } hostText)
            {
                return null;
            }

            tokens.Clear();
            foreach (var token in entry[2].EnumerateArray())
            {
                if (token.ValueKind != JsonValueKind.String || SafeString(token) is not { } text)
                {
                    return null;
                }

                if (tokens.Count < 16)
                {
                    tokens.Add(text);
                }
            }

            // A well-formed entry whose host is not a valid peer host is dropped, not held against the sender.
            if (PeerHost.TryParse(hostText, out var host))
            {
                peers.Add(PeerRealName.FromTokens(host, tokens, defaults));
            }
        }

        return peers;
    }

    private static string? SafeString(JsonElement element)
    {
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            return null; // not valid UTF-8
        }
    }

    private readonly record struct StepResult(PeerCheckOutcome Outcome, string? Reason, object? Value)
    {
        public static StepResult Good(object? value) => new(PeerCheckOutcome.Good, null, value);

        public static StepResult Bad(string reason) => new(PeerCheckOutcome.Bad, reason, null);

        public static StepResult Failed(string reason) => new(PeerCheckOutcome.Failed, reason, null);
    }
}
