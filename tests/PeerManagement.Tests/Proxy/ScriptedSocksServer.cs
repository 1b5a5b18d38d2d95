using PeerManagement.Tests.Connectivity;

namespace PeerManagement.Tests.Proxy;

/// <summary>A SOCKS5 server that follows a script, to produce every reply a real proxy may give.</summary>
internal static class ScriptedSocksServer
{
    /// <summary>Accepts no-auth, records the connect request, and answers it with <paramref name="reply"/>.</summary>
    public static LoopbackServer Replying(byte reply, List<byte[]>? requests = null, int port = 0)
        => new(script: async (stream, ct) =>
        {
            var greeting = await ReadGreetingAsync(stream, ct);
            await stream.WriteAsync(new byte[] { 5, 0 }, ct);
            var request = await ReadConnectRequestAsync(stream, ct);
            lock (requests ?? [])
            {
                requests?.Add(request);
            }

            await stream.WriteAsync(new byte[] { 5, reply, 0, 1, 127, 0, 0, 1, 0x1F, 0x90 }, ct);
            if (reply == 0)
            {
                await LoopbackServer.EchoAsync(stream, ct);
            }
        }, port: port);

    /// <summary>Answers whatever comes with fixed bytes, then closes.</summary>
    public static LoopbackServer Sending(params byte[] bytes)
        => new(script: async (stream, ct) =>
        {
            await ReadGreetingAsync(stream, ct);
            await stream.WriteAsync(bytes, ct);
            await stream.FlushAsync(ct);
        });

    /// <summary>Accepts the greeting with no-auth, then answers the connect request with fixed bytes and closes.</summary>
    public static LoopbackServer ConnectReplying(params byte[] bytes)
        => new(script: async (stream, ct) =>
        {
            await ReadGreetingAsync(stream, ct);
            await stream.WriteAsync(new byte[] { 5, 0 }, ct);
            await ReadConnectRequestAsync(stream, ct);
            await stream.WriteAsync(bytes, ct);
            await stream.FlushAsync(ct);
        });

    /// <summary>Asks for user name and password, and accepts only the given ones.</summary>
    public static LoopbackServer WithCredentials(string user, string password, List<string>? seen = null)
        => new(script: async (stream, ct) =>
        {
            var methods = await ReadGreetingAsync(stream, ct);
            if (!methods.Contains((byte)2))
            {
                await stream.WriteAsync(new byte[] { 5, 0xFF }, ct);
                return;
            }

            await stream.WriteAsync(new byte[] { 5, 2 }, ct);
            var head = await ReadAsync(stream, 2, ct);
            var u = System.Text.Encoding.UTF8.GetString(await ReadAsync(stream, head[1], ct));
            var p = System.Text.Encoding.UTF8.GetString(await ReadAsync(stream, (await ReadAsync(stream, 1, ct))[0], ct));
            seen?.Add($"{u}:{p}");
            var ok = u == user && p == password;
            await stream.WriteAsync(new byte[] { 1, (byte)(ok ? 0 : 1) }, ct);
            if (!ok)
            {
                return;
            }

            await ReadConnectRequestAsync(stream, ct);
            await stream.WriteAsync(new byte[] { 5, 0, 0, 1, 127, 0, 0, 1, 0, 80 }, ct);
            await LoopbackServer.EchoAsync(stream, ct);
        });

    private static async Task<byte[]> ReadGreetingAsync(Stream stream, CancellationToken ct)
    {
        var head = await ReadAsync(stream, 2, ct);
        return await ReadAsync(stream, head[1], ct);
    }

    private static async Task<byte[]> ReadConnectRequestAsync(Stream stream, CancellationToken ct)
    {
        var head = await ReadAsync(stream, 4, ct);
        var address = head[3] switch
        {
            1 => await ReadAsync(stream, 4, ct),
            4 => await ReadAsync(stream, 16, ct),
            _ => await ReadNameAsync(stream, ct),
        };
        var port = await ReadAsync(stream, 2, ct);
        return [.. head, .. address, .. port];
    }

    private static async Task<byte[]> ReadNameAsync(Stream stream, CancellationToken ct)
    {
        var length = await ReadAsync(stream, 1, ct);
        return [.. length, .. await ReadAsync(stream, length[0], ct)];
    }

    private static async Task<byte[]> ReadAsync(Stream stream, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, ct);
        return buffer;
    }
}
