using PeerManagement.Sample.Node;

// The sample node. With no arguments it runs a lab network of 8 nodes on loopback (see README and Lab/).
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops cleanly (stores saved); a second one ends the process at once.
    if (!stop.IsCancellationRequested)
    {
        e.Cancel = true;
        stop.Cancel();
    }
};

return await SampleApp.RunAsync(args, Console.Out, Console.Error, interactive: null, stop.Token);
