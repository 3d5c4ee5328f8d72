using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Crm.Connectors.WeChat;
using Crm.Contracts;
using Crm.Inbox.Customers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Crm.FunctionalTests;

/// <summary>
/// Two Official Accounts of one workspace, both bound to one WeChat Open Platform account and set to fetch UnionIDs: the same
/// person follows both (a different OpenID on each) and is one customer, through the UnionID user/info answers.
/// </summary>
public sealed class WeChatUnionIdTests : WeChatAccountTests
{
    private static readonly Guid SecondAccount = Guid.Parse("7e570000-0000-4000-8000-000000000004");
    private const string SecondAppId = "wx00000000000000b2";
    private const string SecondOriginalId = "gh_00000000b2";
    private const string SecondToken = "SecondTok";
    private const string OpenIdAtSecond = "oSecondAccountOpenId01";
    private const string UnionId = "o6_bmasdasdsad6_2sgVt7hMZOPfL";
    private const string UserInfoPath = "/cgi-bin/user/info";

    protected override IDictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?>(base.Settings)
            {
                ["Crm:ChannelConnections:Seed:1:Settings:fetchUnionId"] = "true",
                ["Crm:ChannelConnections:Seed:2:Id"] = SecondAccount.ToString(),
                ["Crm:ChannelConnections:Seed:2:WorkspaceId"] = CrmApplication.TestWorkspace.ToString(),
                ["Crm:ChannelConnections:Seed:2:Type"] = "wechat",
                ["Crm:ChannelConnections:Seed:2:Settings:appId"] = SecondAppId,
                ["Crm:ChannelConnections:Seed:2:Settings:appSecret"] = "second-secret",
                ["Crm:ChannelConnections:Seed:2:Settings:token"] = SecondToken,
                ["Crm:ChannelConnections:Seed:2:Settings:originalId"] = SecondOriginalId,
                ["Crm:ChannelConnections:Seed:2:Settings:apiBaseUrl"] = WeChat.Url,
                ["Crm:ChannelConnections:Seed:2:Settings:fetchUnionId"] = "true",
            };
            return settings;
        }
    }

    private void AnswersUnionId(string openId, string? unionId)
        => WeChat.Given(Request.Create().WithPath(UserInfoPath).WithParam("openid", openId).UsingGet())
            .RespondWith(WeChatFakes.Json(unionId is null
                ? new { subscribe = 1, openid = openId, nickname = "Band", language = "zh_CN" }
                : (object)new { subscribe = 1, openid = openId, nickname = "Band", language = "zh_CN", unionid = unionId }));

    /// <summary>A text from <paramref name="openId"/> to the second account, in plain mode, signed with its token.</summary>
    private Task<HttpResponseMessage> PostToSecondAccountAsync(string msgId, string openId)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        const string nonce = "123456789";
        var xml = $"<xml><ToUserName><![CDATA[{SecondOriginalId}]]></ToUserName><FromUserName><![CDATA[{openId}]]></FromUserName>"
                  + $"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>{msgId}</MsgId></xml>";
        return App.CreateClient().PostAsync(
            $"{WeChatWebhookPaths.Of(SecondAccount)}?signature={WeChatSignature.Compute(SecondToken, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}&openid={openId}",
            new StringContent(xml, Encoding.UTF8, "text/xml"));
    }

    private async Task<CustomerProfile> ProfileAsync(Guid customer)
        => (await Agent.GetFromJsonAsync<CustomersApi.CustomerDetails>($"/api/customers/{customer}"))!.Profile;

    [Fact]
    public async Task The_same_person_following_two_official_accounts_is_one_customer_through_their_unionid()
    {
        WeChat.IssuesToken();
        AnswersUnionId(WeChatFakes.Customer, UnionId);
        AnswersUnionId(OpenIdAtSecond, UnionId);

        Assert.Equal(HttpStatusCode.OK, (await App.PostPlainAsync(WeChatFakes.Text("25000000000000001", "hello A"))).StatusCode);
        var atFirst = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "25000000000000001");
        Assert.Equal(HttpStatusCode.OK, (await PostToSecondAccountAsync("25000000000000002", OpenIdAtSecond)).StatusCode);
        var atSecond = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "25000000000000002");

        Assert.Equal(atFirst.CustomerId, atSecond.CustomerId);
        Assert.NotEqual(atFirst.ConversationId, atSecond.ConversationId);
        Assert.Equal([(Channels.WeChat, WeChatFakes.Customer), (Channels.WeChat, OpenIdAtSecond), (IdentityKinds.WeChatUnionId, UnionId)],
            (await ProfileAsync(atFirst.CustomerId)).IdentityDetails.Select(i => (i.Channel, i.Value)).Order());
    }

    [Fact]
    public async Task A_unionid_is_asked_of_wechat_once_per_account_and_follower()
    {
        WeChat.IssuesToken();
        AnswersUnionId(WeChatFakes.Customer, UnionId);

        await App.PostPlainAsync(WeChatFakes.Text("25000000000000011", "one"));
        await App.PostPlainAsync(WeChatFakes.Text("25000000000000012", "two"));
        await Feed.MessageAddedAsync(m => m.ChannelMessageId == "25000000000000012");

        Assert.Single(WeChat.Requests(UserInfoPath));
    }

    [Fact]
    public async Task An_account_without_unionids_or_a_failing_user_info_still_stores_the_message_without_an_alias()
    {
        WeChat.IssuesToken();
        AnswersUnionId(WeChatFakes.Customer, null);
        WeChat.Given(Request.Create().WithPath(UserInfoPath).WithParam("openid", OpenIdAtSecond).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithDelay(TimeSpan.FromSeconds(8)).WithBody("{}"));

        Assert.Equal(HttpStatusCode.OK, (await App.PostPlainAsync(WeChatFakes.Text("25000000000000021", "no union"))).StatusCode);
        var first = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "25000000000000021");
        var started = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.OK, (await PostToSecondAccountAsync("25000000000000022", OpenIdAtSecond)).StatusCode);
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(5), "The acknowledgement waited past WeChat's 5 seconds for a slow user/info.");
        var second = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "25000000000000022");

        Assert.NotEqual(first.CustomerId, second.CustomerId);
        Assert.Equal([(Channels.WeChat, WeChatFakes.Customer)], (await ProfileAsync(first.CustomerId)).IdentityDetails.Select(i => (i.Channel, i.Value)));
    }
}
