namespace AgentLoad;

/// <summary>Keeps the server's tier header of the last response (one per session, whose requests are sequential).</summary>
internal sealed class HeaderCapture() : DelegatingHandler(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
{
    public string LastSource { get; private set; } = "?";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
        LastSource = response.Headers.TryGetValues("X-KvTiering-Source", out IEnumerable<string>? values) ? values.First() : "?";
        return response;
    }
}
