package vectors

import "time"

// ResourceMetadataURL is the protected resource metadata URL (RFC 9728) the
// resource_metadata cases configure.
const ResourceMetadataURL = "https://orders.conformance.test/.well-known/oauth-protected-resource/v1"

func resourceMetadata(url string) opt { return func(o *Options) { o.ResourceMetadata = &url } }

// challenged adds a case the verifier must refuse with code, whose answer's challenge
// has the auth-params challenge (error_description aside).
func (b *builder) challenged(name, code, token string, challenge map[string]string, opts ...opt) {
	b.add(name, token, Expect{Error: code, Challenge: challenge}, opts)
}

// resourceMetadataCases: with the resource_metadata option, every challenge the
// verifier's error answer writes ends with resource_metadata (RFC 9728 §5.1): the bare
// challenge of a request without a credential, invalid_token, and a step-up challenge
// answered the same way; without the option (or with ""), none does; the URL is quoted
// as every other auth-param.
func (b *builder) resourceMetadataCases() {
	const rm = "resource_metadata"
	realm := func(more ...string) map[string]string {
		m := map[string]string{"realm": Audience}
		for i := 0; i+1 < len(more); i += 2 {
			m[more[i]] = more[i+1]
		}
		return m
	}
	on := resourceMetadata(ResourceMetadataURL)
	expired := b.apiKey(set("exp", at(-time.Hour)))

	b.challenged("resource_metadata/no credential: the bare challenge names it", CodeNoToken, "",
		realm(rm, ResourceMetadataURL), on)
	b.challenged("resource_metadata/expired key: invalid_token names it", CodeExpired, expired,
		realm("error", "invalid_token", rm, ResourceMetadataURL), on)
	b.challenged("resource_metadata/bad signature: invalid_token names it", CodeSignature, flip(b.apiKey()),
		realm("error", "invalid_token", rm, ResourceMetadataURL), on)
	b.challenged("resource_metadata/not on the teams list: invalid_token names it", CodeNotAllowed, b.accessToken(),
		realm("error", "invalid_token", rm, ResourceMetadataURL), on, teams("team_1"))
	b.challenged("resource_metadata/not set: no credential, no parameter", CodeNoToken, "", realm())
	b.challenged("resource_metadata/not set: invalid_token without it", CodeExpired, expired, realm("error", "invalid_token"))
	b.challenged("resource_metadata/empty: invalid_token without it", CodeExpired, expired,
		realm("error", "invalid_token"), resourceMetadata(""))
	b.challenged(`resource_metadata/quote, backslash, CR and LF are dropped`, CodeNoToken, "",
		realm(rm, ResourceMetadataURL+"?x=ab"), resourceMetadata(ResourceMetadataURL+"?x=\"a\\\r\nb\""))

	// A step-up requirement not met, answered by the verifier's error writer (Go
	// WriteError, Node sendError/replyError, Python wsgi.error_response).
	user := b.accessToken(set("sub_type", "user"), set("sub", "usr_1"), set("auth_time", at(-time.Hour)))
	userP := tokenPrincipal(func(p *Principal) {
		t := at(-time.Hour)
		p.SubjectType, p.Subject, p.Project, p.AuthTime = SubjectUser, "usr_1", "", &t
	})
	age := int64(300)
	b.add("resource_metadata/step-up max_age: the challenge names it", user, Expect{Valid: true, Principal: &userP,
		Challenge: map[string]string{"error": ChallengeInsufficientUserAuthentication, "max_age": "300", rm: ResourceMetadataURL}},
		[]opt{on})
	b.cases[len(b.cases)-1].Require = &Require{MaxAgeSeconds: &age}
	b.add("resource_metadata/step-up acr_values: the challenge names it", user, Expect{Valid: true, Principal: &userP,
		Challenge: map[string]string{"error": ChallengeInsufficientUserAuthentication, "acr_values": "urn:gatehouse:acr:mfa", rm: ResourceMetadataURL}},
		[]opt{on})
	b.cases[len(b.cases)-1].Require = &Require{ACRValues: []string{"urn:gatehouse:acr:mfa"}}
}
