using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <content>The peer store: the background saver and the file store.</content>
public static partial class PeerManagementServiceCollectionExtensions
{
    /// <summary>
    /// Keeps the peer table in a file (see <see cref="FilePeerStore"/>) and the run-time bans in a sibling file
    /// (<c>&lt;file&gt;.bans</c>, see <see cref="FileBanStore"/>), the table saved at most every 10 seconds after a
    /// change and at stop, and loaded at start.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="path">The file, e.g. <c>/var/lib/mynode/peers.json</c>; relative to the current directory when relative.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or not a valid file path.</exception>
    public static IPeerManagementBuilder UseFileStore(this IPeerManagementBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(path);
        if (FilePeerStore.CheckPath(path) is { } error)
        {
            throw new ArgumentException(error, nameof(path));
        }

        return builder.UseFileStore(options => options.Path = path);
    }

    /// <summary>
    /// Keeps the peer table in a file (see <see cref="FilePeerStore"/>), with the settings made by
    /// <paramref name="configure"/>; <see cref="PeerStoreOptions.Path"/> must be set (checked at start).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the file, the save interval and the size limit.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder UseFileStore(this IPeerManagementBuilder builder, Action<PeerStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PeerStoreOptions>, FilePeerStoreOptionsRules>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IPeerStore, FilePeerStore>());
        // The run-time bans live in a sibling file, so the table's format stays as it was.
        builder.Services.Replace(ServiceDescriptor.Singleton<IBanStore>(sp => new FileBanStore(
            sp.GetRequiredService<IOptions<PeerStoreOptions>>().Value.Path + ".bans",
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<FileBanStore>>())));
        return builder;
    }

    static partial void AddStorage(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PeerStoreOptions>, PeerStoreOptionsValidator>());
        services.AddOptions<PeerStoreOptions>().ValidateOnStart();

        // Registered before the discovery services, so it stops after them and its last save sees their changes.
        services.TryAddSingleton<PeerStoreWriter>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PeerStoreWriter>());
    }
}
