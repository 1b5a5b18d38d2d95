using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PeerManagement.Sample.Node;

/// <summary>Every invalid setting of a node's host, found at once before anything starts.</summary>
public sealed class InvalidSettingsException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="failures">One line per invalid setting.</param>
    public InvalidSettingsException(IReadOnlyList<string> failures)
        : base("Invalid settings:" + Environment.NewLine + string.Join(Environment.NewLine, failures.Select(f => "  " + f)))
        => Failures = failures;

    /// <summary>One line per invalid setting.</summary>
    public IReadOnlyList<string> Failures { get; }

    /// <summary>
    /// Validates every settings group registered for validation at start (the library's options, read from the
    /// environment and the code) in one go, before any service is resolved.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <exception cref="InvalidSettingsException">At least one setting is invalid; every one is listed.</exception>
    public static void ThrowIfAny(IServiceProvider services)
    {
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
        }
        catch (Exception ex) when (ex is OptionsValidationException or AggregateException)
        {
            var failures = (ex is AggregateException all ? all.InnerExceptions : [ex])
                .OfType<OptionsValidationException>()
                .SelectMany(e => e.Failures)
                .Distinct(StringComparer.Ordinal)
                .ToList();
            throw new InvalidSettingsException(failures.Count > 0 ? failures : [ex.Message]);
        }
    }
}
