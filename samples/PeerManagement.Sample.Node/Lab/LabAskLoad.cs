using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace PeerManagement.Sample.Node.Lab;

/// <summary>
/// Asks one live lab node <c>server.peers.subscribe</c> at a steady rate through its request handler (as its
/// listener would, without the rate limit a single asker would meet), while the nodes go on checking each other,
/// and reads the node's <c>peermanagement.answers.peers_subscribe</c> counter to report the answer cache's hit rate.
/// </summary>
internal static class LabAskLoad
{
    private const string Instrument = "peermanagement.answers.peers_subscribe";

    /// <summary>Asks <paramref name="perSecond"/> times a second for <paramref name="duration"/>.</summary>
    /// <returns>One line: asks, hits, builds and the hit rate.</returns>
    public static async Task<string> RunAsync(LabNode node, int perSecond, TimeSpan duration, CancellationToken cancellationToken)
    {
        var meters = node.Services.GetRequiredService<IMeterFactory>();
        long hits = 0;
        long misses = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this node's counter: every lab node has a meter of the same name.
            if (instrument.Name == Instrument && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "cache")
                {
                    Interlocked.Add(ref Equals(tag.Value, "hit") ? ref hits : ref misses, value);
                }
            }
        });
        listener.Start();

        var handler = node.Manager.CreateRequestHandler();
        await using var session = new AskerSession(new IPEndPoint(IPAddress.Parse("127.250.0.1"), 40000));
        var call = new JsonRpcCall("server.peers.subscribe", JsonSerializer.SerializeToElement(new JsonArray()), false, session);
        var sent = new ArrayBufferWriter<byte>(64 * 1024);
        using var writer = new Utf8JsonWriter(sent);
        var clock = Stopwatch.StartNew();
        long asked = 0;
        while (clock.Elapsed < duration)
        {
            var due = (long)(clock.Elapsed.TotalSeconds * perSecond);
            for (; asked < due; asked++)
            {
                // Written as a session would write it: that lets the shared answer go.
                var answer = await handler.HandleAsync(call, cancellationToken).ConfigureAwait(false);
                sent.ResetWrittenCount();
                writer.Reset(sent);
                answer?.WriteTo(writer);
                writer.Flush();
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken).ConfigureAwait(false);
        }

        var total = hits + misses;
        var rate = total == 0 ? 0 : 100.0 * hits / total;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"Asked {node.Spec.Name} {asked} times in {clock.Elapsed.TotalSeconds:0.0} s; it answered {total} server.peers.subscribe in all (the other nodes' checks ask too): {hits} from the cache, {misses} built; hit rate {rate:0.00} %.");
    }

    /// <summary>The incoming session an ask appears to come from.</summary>
    private sealed class AskerSession(EndPoint remote) : IJsonRpcSession
    {
        public EndPoint? RemoteEndPoint => remote;

        public Task Completion => Task.Delay(Timeout.Infinite);

        public Task<JsonElement> InvokeAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken)
            => throw new NotSupportedException("The asker is never called back.");

        public ValueTask NotifyAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
