using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>The rules of <see cref="PeerStoreOptions"/> that hold when the file store is used: a usable path.</summary>
internal sealed class FilePeerStoreOptionsRules : IValidateOptions<PeerStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, PeerStoreOptions options)
        => FilePeerStore.CheckPath(options.Path) is { } error ? ValidateOptionsResult.Fail(error) : ValidateOptionsResult.Success;
}
