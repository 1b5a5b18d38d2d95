using System.Net;
using System.Text.Json.Nodes;
using PeerManagement.Tests.Rpc;

namespace PeerManagement.Tests.RateLimiting;

/// <summary>Batches through the limiter on a real session.</summary>
public sealed partial class RateLimitingJsonRpcRequestHandlerTests
{
    [Fact]
    public async Task Each_call_of_a_batch_is_charged_and_their_delays_overlap_instead_of_adding_up()
    {
        var kit = new JsonRpcTestKit();
        var delay = TimeSpan.FromMilliseconds(300);
        using var limiter = new PeerPartitionedRateLimiter<NetworkPrefix>(RateLimitTestOptions.Create(maxTokens: 1000, windowSeconds: 3, delayAfter: 5, delayMs: 300), kit.Time);
        var handler = new RateLimitingJsonRpcRequestHandler(DelegateHandler.Echo(), limiter, kit.Time);
        var (session, peer) = kit.CreateWithRawPeer(handler);
        await using (session)
        await using (peer)
        {
            var timers = kit.Time.TimersCreated;
            var calls = Enumerable.Range(0, kit.Options.MaxBatchCalls).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"add","params":[{{i}},1]}""");
            await peer.SendAsync("[" + string.Join(",", calls) + "]\n");
            var answer = peer.ReadMessageAsync();

            // 5 calls pass at once; the other 95 wait 300 ms each, MaxCallsInFlight (16) at a time: 6 rounds, not 95.
            var delayed = kit.Options.MaxBatchCalls - 5;
            for (var round = 1; round <= 8 && !answer.IsCompleted; round++)
            {
                var armed = Math.Min(round * kit.Options.MaxCallsInFlight, delayed);
                await Task.WhenAny(answer, kit.Time.WaitForTimersAsync(timers + armed, Ct)).WaitAsync(TimeSpan.FromSeconds(10), Ct);
                kit.Time.Advance(delay);
            }

            var results = (await answer).AsArray();
            results.Should().HaveCount(kit.Options.MaxBatchCalls);
            results.Select(r => r!["result"]!.GetValue<int>() - r["id"]!.GetValue<int>()).Should().AllBeEquivalentTo(1);
        }
    }
}
