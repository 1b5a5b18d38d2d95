namespace PeerManagement.TestUtilities.Rpc;

/// <summary>What every <see cref="IJsonRpcSession"/>'s per-session state must do, checked the same way for each implementation.</summary>
public static class SessionStateContract
{
    /// <summary>Sixteen threads asking a fresh session for its state at the same moment get one instance, created once.</summary>
    public static async Task FirstUsesAtOnceCreateOneInstanceAsync(IJsonRpcSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var created = 0;
        using var start = new ManualResetEventSlim();
        var callers = Enumerable.Range(0, 16).Select(_ => Task.Run(
            () =>
            {
                start.Wait(cancellationToken);
                return session.GetOrAddState(() =>
                {
                    Interlocked.Increment(ref created);
                    return new State();
                });
            },
            cancellationToken)).ToArray();
        start.Set();
        var seen = await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);

        created.Should().Be(1);
        seen.Distinct().Should().ContainSingle();
    }

    private sealed class State;
}
