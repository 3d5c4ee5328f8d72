import { describe, expect, it } from 'vitest';
import type { ChannelConnection } from '../api/types';
import { channelKey, channelName, connectionTypeOf, fieldText, formType, secretIsSet, settingsBody, settingsOf, webhookLabel } from './channels';

describe('channelName', () => {
  it('names the three channels as their owners write them', () => {
    expect(['whatsapp', 'wechat', 'messenger', 'WeChat'].map(channelName)).toEqual(['WhatsApp', 'WeChat', 'Messenger', 'WeChat']);
    expect(channelName('sms')).toBe('sms');
    expect(channelName('wechat-unionid')).toBe('WeChat UnionID');
    expect(channelKey('<b>sms</b>')).toBe('other');
  });
});

describe('settingsBody', () => {
  const wechat = formType('wechat');

  it('sends every field when adding, secrets as typed', () => {
    expect(settingsBody(wechat, { appId: ' wx123 ', originalId: 'gh_1', appSecret: 's3', token: 'tok', encodingAesKey: '' }, false)).toEqual({
      appId: 'wx123', originalId: 'gh_1', appSecret: 's3', token: 'tok', apiBaseUrl: null,
    });
  });

  it('on edit sends a secret only when typed, so an empty box keeps the stored one', () => {
    const body = settingsBody(wechat, { appId: 'wx123', originalId: 'gh_1', appSecret: '', token: 'new-token' }, true);
    expect(body).toEqual({ appId: 'wx123', originalId: 'gh_1', token: 'new-token' });
    expect(body).not.toHaveProperty('appSecret');
  });

  it("splits Twilio's numbers on commas and spaces", () => {
    expect(settingsBody(formType('twilio-whatsapp'), { accountSid: 'AC1', authToken: 't', numbers: '+1555, +1666  +1777' }, false))
      .toMatchObject({ numbers: ['+1555', '+1666', '+1777'] });
  });
});

describe('a connection as the API shows it', () => {
  const connection = {
    id: 'c', type: 'messenger', displayName: 'Page', enabled: true, routingTeamId: null, createdAt: '', updatedAt: '', webhooks: {},
    messenger: { pageId: '1234', graphVersion: 'v21.0', appSecretSet: true, pageAccessTokenSet: false, verifyTokenSet: true },
  } satisfies ChannelConnection;

  it("reads its type's settings and says which secrets are set, never their values", () => {
    const view = settingsOf(connection);
    const spec = connectionTypeOf('messenger');
    expect(spec?.property).toBe('messenger');
    expect(secretIsSet(view, 'appSecret')).toBe(true);
    expect(secretIsSet(view, 'pageAccessToken')).toBe(false);
    const pageId = spec?.fields.find(f => f.name === 'pageId');
    expect(pageId && fieldText(view, pageId)).toBe('1234');
    const secret = spec?.fields.find(f => f.name === 'appSecret');
    expect(secret && fieldText({ ...view, appSecret: 'leaked' }, secret)).toBe('');
  });

  it('has words for each webhook URL', () => {
    expect(webhookLabel('messages')).toBe('Incoming messages webhook');
    expect(webhookLabel('verify')).toBe('Verify webhook');
  });
});
