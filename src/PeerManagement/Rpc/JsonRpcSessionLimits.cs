namespace PeerManagement;

/// <summary>The bounds one JSON-RPC session works within (see the matching <see cref="JsonRpcOptions"/>).</summary>
internal sealed record JsonRpcSessionLimits
{
    /// <summary>The defaults of <see cref="JsonRpcOptions"/>.</summary>
    public static JsonRpcSessionLimits Default { get; } = From(new JsonRpcOptions());

    public TimeSpan WriteTimeout { get; init; }

    public TimeSpan CloseGrace { get; init; }

    public int MaxBatchCalls { get; init; }

    public int MaxCallsInFlight { get; init; }

    public int MaxBytesInFlight { get; init; }

    public int MaxUnsentBytes { get; init; }

    public static JsonRpcSessionLimits From(JsonRpcOptions options) => new()
    {
        WriteTimeout = options.WriteTimeout,
        CloseGrace = options.CloseGrace,
        MaxBatchCalls = options.MaxBatchCalls,
        MaxCallsInFlight = options.MaxCallsInFlight,
        MaxBytesInFlight = options.MaxBytesInFlight,
        MaxUnsentBytes = options.MaxUnsentBytes,
    };
}
