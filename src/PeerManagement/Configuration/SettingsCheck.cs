using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// Validates every settings group of the library at once, the first time any of them is needed, so that an
/// invalid configuration is reported whole — every invalid setting, in one
/// <see cref="OptionsValidationException"/> — wherever it is first noticed (at host start, or when a service is
/// resolved before the host starts), not one group at a time.
/// </summary>
internal sealed class SettingsCheck(IServiceProvider services)
{
    private readonly Lazy<IReadOnlyList<string>> _failures = new(() => Collect(services));

    /// <summary>Throws when any setting of the library is invalid, listing every one.</summary>
    /// <exception cref="OptionsValidationException">At least one setting is invalid.</exception>
    public void ThrowIfInvalid()
    {
        if (_failures.Value.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(PeerManagementOptions), _failures.Value);
        }
    }

    private static IReadOnlyList<string> Collect(IServiceProvider services)
    {
        var failures = new List<string>();
        Check<PeerManagementOptions>();
        Check<RateLimitingOptions>();
        Check<ProxyOptions>();
        Check<JsonRpcOptions>();
        Check<PeerConnectorOptions>();
        return failures.Distinct(StringComparer.Ordinal).ToList();

        void Check<TOptions>()
            where TOptions : class
        {
            try
            {
                _ = services.GetService<IOptions<TOptions>>()?.Value;
            }
            catch (OptionsValidationException ex)
            {
                failures.AddRange(ex.Failures);
            }
        }
    }
}
