using System.Runtime.InteropServices;
using PeerManagement.Sample.Node;

// The sample node. With no arguments it runs a lab network of 8 nodes on loopback (see README and Lab/).
// Ctrl+C (SIGINT) and SIGTERM (kill, systemd, docker stop) stop it cleanly, stores saved: exit 130 and 143, as
// shells report a command ended by those signals. A second Ctrl+C ends the process at once.
using var stop = new CancellationTokenSource();
var stoppedBy = 0;
void Stop(int exitCode)
{
    if (Interlocked.CompareExchange(ref stoppedBy, exitCode, 0) == 0)
    {
        stop.Cancel();
    }
}

Console.CancelKeyPress += (_, e) =>
{
    if (!stop.IsCancellationRequested)
    {
        e.Cancel = true;
        Stop(SampleApp.StoppedExitCode);
    }
};
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true; // we stop ourselves, after saving
    Stop(SampleApp.TerminatedExitCode);
});

var exitCode = await SampleApp.RunAsync(args, Console.Out, Console.Error, interactive: null, stop.Token);
return Volatile.Read(ref stoppedBy) is var signal and not 0 ? signal : exitCode;
