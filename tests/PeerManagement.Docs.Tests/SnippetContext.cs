using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PeerManagement.Docs.Tests;

/// <summary>
/// What a snippet in the docs may use without declaring it: the reader's own parts (their chain view, their
/// handler for the chain methods, their database) and the variables the surrounding text has introduced
/// (<c>builder</c>, <c>services</c>, <c>cancellationToken</c>…). Every snippet compiles as a method of a class
/// derived from this one; nothing here is ever run.
/// </summary>
[SuppressMessage("Style", "IDE1006:Naming Styles", Justification = "The names the docs use.")]
[SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "The names the docs use.")]
public abstract class SnippetContext
{
    private static T Yours<T>() => throw new NotSupportedException("Snippets are compiled, never run.");

    // What a top-level program has.
    protected static string[] args => Yours<string[]>();

    // Introduced by the text around a snippet.
    protected static WebApplicationBuilder builder => Yours<WebApplicationBuilder>();
    protected static IServiceCollection services => Yours<IServiceCollection>();
    protected static IServiceProvider serviceProvider => Yours<IServiceProvider>();
    protected static IHost host => Yours<IHost>();
    protected static CancellationToken cancellationToken => default;
    protected static TimeProvider timeProvider => TimeProvider.System;
    protected static ILoggerFactory loggerFactory => Yours<ILoggerFactory>();
    protected static IJsonRpcSession session => Yours<IJsonRpcSession>();
    protected static IJsonRpcSessionFactory sessionFactory => Yours<IJsonRpcSessionFactory>();
    protected static IJsonRpcRequestHandler handler => Yours<IJsonRpcRequestHandler>();
    protected static Stream stream => Yours<Stream>();
    protected static System.IO.Pipelines.IDuplexPipe pipe => Yours<System.IO.Pipelines.IDuplexPipe>();
    protected static IPEndPoint remote => Yours<IPEndPoint>();
    protected static PeerTable table => Yours<PeerTable>();
    protected static PeerManagementOptions options => Yours<PeerManagementOptions>();
    protected static IPeerConnector connector => Yours<IPeerConnector>();
    protected static IChainView chain => Yours<IChainView>();
    protected static IPeerStore store => Yours<IPeerStore>();
    protected static WebApplication app => Yours<WebApplication>();
    protected static PeerManager manager => Yours<PeerManager>();
    protected static JsonRpcListener listener => Yours<JsonRpcListener>();
    protected static PeerMatch match => Yours<PeerMatch>();
    protected static CancellationToken ct => default;

    // The reader's own parts.
    protected static IJsonRpcRequestHandler myHandler => Yours<IJsonRpcRequestHandler>();
    protected static IJsonRpcRequestHandler myChainMethods => Yours<IJsonRpcRequestHandler>();
    protected static IJsonRpcRequestHandler myOwnMethods => Yours<IJsonRpcRequestHandler>();
    protected static string password => Yours<string>();
    protected static string connectionString => Yours<string>();

    /// <summary>The reader's view of their chain.</summary>
    protected sealed class MyChainView : IChainView
    {
        /// <inheritdoc />
        public string GenesisHash => Yours<string>();

        /// <inheritdoc />
        public ValueTask<int> GetTipHeightAsync(CancellationToken cancellationToken) => Yours<ValueTask<int>>();

        /// <inheritdoc />
        public ValueTask<string?> GetHeaderHexAsync(int height, CancellationToken cancellationToken) => Yours<ValueTask<string?>>();
    }

    /// <summary>The reader's database connection (any ADO.NET provider).</summary>
    [SuppressMessage("Usage", "CA1801:Review unused parameters", Justification = "Never run.")]
    protected sealed class MyDbConnection(string connectionString) : DbConnection
    {
        /// <inheritdoc />
        [AllowNull]
        public override string ConnectionString { get; set; } = connectionString;

        /// <inheritdoc />
        public override string Database => Yours<string>();

        /// <inheritdoc />
        public override string DataSource => Yours<string>();

        /// <inheritdoc />
        public override string ServerVersion => Yours<string>();

        /// <inheritdoc />
        public override ConnectionState State => Yours<ConnectionState>();

        /// <inheritdoc />
        public override void ChangeDatabase(string databaseName) => Yours<int>();

        /// <inheritdoc />
        public override void Close() => Yours<int>();

        /// <inheritdoc />
        public override void Open() => Yours<int>();

        /// <inheritdoc />
        protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => Yours<DbTransaction>();

        /// <inheritdoc />
        protected override DbCommand CreateDbCommand() => Yours<DbCommand>();
    }
}
