/* sp_call.h - the inside of a B2BUA call, shared by the files that act on it:
 * sp_b2bua.c (life, incoming INVITE, SIP events of a call), sp_fork.c (ringing targets:
 * connect attempts), sp_callmedia.c (mediad commands) and sp_callctl.c (controller
 * commands and the hand-over to ivrd/acdd). Not for the pure cores. */
#ifndef SP_CALL_H
#define SP_CALL_H

#include "sp_divert.h"
#include "sp_sofia.h"

#define SP_MAX_LEGS 32
#define SP_MAX_DIALS 16

/* One SIP dialog: the caller (A, embedded in the call) or a rung target (B). */
struct sp_leg {
    sp_call_t *call;
    nua_handle_t *nh;
    bool is_a;
    bool final;    /* A: final response sent; B: final response received */
    bool reinvite; /* a relayed re-INVITE is outstanding on this leg */
    bool auth_tried;
    bool to_trunk;
    int attempt;      /* connect_id of the attempt that rang it */
    sp_trunk_t trunk; /* credentials, when it goes out through a trunk */
    char target[80];  /* "ext:1002", "number:0049..." */
    char callid[128]; /* Call-ID of this dialog (attended transfer finds legs by it) */
    char contact[256];
    bool tls; /* over TLS: our Contact on it is sip:...;transport=tls (SP_LEG_CONTACT) */
};

/* The Contact to put in what starts a dialog on a leg. With a TLS port sofia's own is a
 * sips: URI on every leg, TLS or not, which phones that do not know the sips: scheme
 * (baresip 1.0) answer by ending the call: so then we name ours, sip: with transport=tls
 * on TLS legs, plain on the others. Without TLS sofia's is right and is left alone. */
#define SP_LEG_CONTACT(leg, proxy)                                                                 \
    TAG_IF((proxy)->tls_contact[0],                                                                \
           SIPTAG_CONTACT_STR((leg)->tls ? (proxy)->tls_contact : (proxy)->plain_contact))

/* A mediad endpoint of the call, with what is needed to create it again on the same id
 * and port if mediad restarts (sp_callmedia.c). */
typedef struct {
    int id; /* 0: none */
    char addr[64];
    int port;
    bool dtmf; /* created with DTMF detection */
    bool has_remote;
    sp_sdp_info_t remote;          /* what the last endpoint.remote said */
    bool srtp;                     /* an SRTP leg: mediad protects what it sends its party */
    char srtp_key[SP_SDP_KEY_MAX]; /* its own key (from mediad) for our a=crypto; a secret */
} sp_endpoint_t;

/* Where one leg of an attempt is sent. */
typedef struct {
    char url[256], to[200], route[128], target[80];
    bool to_trunk;
    sp_trunk_t trunk;
} sp_dial_t;

/* Ringing one or more targets in parallel; the first answer wins. A direct call (dialplan
 * ext/trunk) has one, made at INVITE time; a controller makes one per call.connect. */
typedef struct {
    int id;               /* connect_id; 0: none yet */
    bool active;          /* legs are ringing */
    bool from_controller; /* publishes call.connect_result */
    bool originate;       /* the winner becomes leg A (call.originate) */
    bool on_hangup_return;
    bool transfer; /* rung for a blind transfer: failing ends the call */
    int timeout_s;
    int best_code;
    char fail_target[80]; /* the target whose failure is reported when nothing rang */
    char caller_name[64];
    char headers[1024]; /* "X-CC-A: v\r\nX-CC-B: w" */
    char trunk[64];     /* number: targets go out on this trunk, not the dialplan's route */
    json_t *targets;    /* controller targets, resolved once the endpoint exists */
    sp_dial_t *dials;
    int ndials;
    su_timer_t *timer;
} sp_attempt_t;

struct sp_call {
    sp_proxy_t *proxy;
    char id[48];
    sp_call_state_t state;
    struct sp_leg a;
    struct sp_leg *b[SP_MAX_LEGS];
    int nb;
    struct sp_leg *winner; /* the connected callee */
    sp_attempt_t att;
    char caller[64], callee[64], direction[12], source[64], trunk[64];
    char answered_by[80];
    cc_target_kind_t route_kind;
    char route_target[64];
    char controller[16]; /* "ivrd", "acdd": who drives the call; "" for direct calls */
    char feature[4], feature_digits[24]; /* a dialled feature code (*45 ...): "45", "1" */
    char reason[128];                    /* overrides the outcome's reason when set */
    int screen_code;          /* refused by screening (sp_screen.c): its final status, 486 or 403 */
    char divert_reason[16];   /* why a call was sent on to vm:/another target: "busy" ... */
    sp_divert_state_t divert; /* extensions rung and diversions made (sp_forward.c) */
    char ringing_ext[16];     /* the extension the direct attempt rings, "" otherwise */
    char invite_key[200];     /* the caller's INVITE in sp_dedup ("" for originated calls) */
    char *offer;              /* the caller's SDP offer (or our own for call.originate) */
    sp_sdp_info_t offer_info;
    int a_codec, a_te;       /* what leg A speaks once answered by sipproxy */
    sp_srtp_policy_t srtp_a; /* the caller's (user's or trunk's) SRTP policy */
    sp_endpoint_t ea, eb;    /* mediad endpoints facing leg A (the caller) and the callee */
    bool media_connected;    /* ea and eb relay to each other */
    int creates_pending, deletes_pending; /* mediad replies the call's end waits for */
    int restores_pending;                 /* endpoint.create restores in flight */
    bool restore_failed;
    void (*caller_ready)(sp_call_t *c); /* run when the endpoint being created exists */
    void (*callee_ready)(sp_call_t *c);
    cc_bus_owner_t bus; /* every bus request made for this call */
    unsigned long sdp_version;
    su_timer_t *reap_timer;
    sp_outcome_t outcome;
    uint64_t ended_us; /* wall clock when it ended (call.ended's ended_at) */
    json_t *stats;
    bool hold_a, hold_b; /* that side holds the other (answered here, music played) */
    /* supervisor monitoring (sp_monitor.c). On the supervisor's call: */
    struct {
        int mode; /* 0: this call monitors nothing; else sp_monitor_mode_t */
        char agent[16];
        char sup[64];           /* the supervisor's extension */
        char via[8];            /* phone (feature code) or console (call.monitor) */
        char user[65];          /* the supervisor's web user */
        char target[48];        /* id of the monitored call */
        int ep_agent, ep_other; /* its endpoints facing the agent and the other party */
        int mix_id;
    } mon;
    int monitored_by;    /* on a monitored call: supervisor calls listening now */
    uint64_t created_ms; /* monotonic: older ringing calls are picked up first */
    /* call pickup (sp_callpickup.c). On the picker's own call (*8, **EXT): */
    struct {
        int mode;       /* 0: not a pickup; else sp_pickup_mode_t */
        char ext[16];   /* directed: the extension whose ringing call is taken */
        char group[41]; /* group: the picker's pickup group */
    } pickup;
    /* call park (sp_callpark.c). On the parked call: */
    struct {
        int slot;        /* 0: not parked */
        int phase;       /* sp_callpark.c's: announcing, waiting, ringing the parker back */
        char parker[16]; /* the extension rung back ("" when none) */
        su_timer_t *timer;
    } park;
    /* three-way calls (sp_threeway.c): this call and `partner` share one mix */
    struct {
        int mix_id; /* 0: not merged */
        char partner[48];
        char party[64]; /* the extension that merged them (in both calls) */
    } tw;
    /* call controls by command, the desktop's (sp_callctl_xfer.c) */
    struct {
        bool hold;           /* call.hold: the held party hears music, nobody hears it */
        int held_ep;         /* the endpoint that plays the music (faces the held party) */
        char ext[16];        /* the extension that held it, or consults */
        char consult[48];    /* id of the consultation call (call.consult), "" when none */
        bool consult_up;     /* ... whose target answered and talks with ext */
        char consult_of[48]; /* on a consultation call: the call it consults for */
    } ctl;
};

/* sp_b2bua.c */
sp_call_t *sp_call_find(sp_proxy_t *p, const char *id);
/* The leg (and its call) whose dialog has this Call-ID, or NULL. */
struct sp_leg *sp_call_find_leg(sp_proxy_t *p, const char *callid, sp_call_t **call_out);
sp_call_t *sp_call_new(sp_proxy_t *p);
void sp_call_end(sp_call_t *c, sp_end_cause_t cause, int code);
void sp_call_maybe_free(sp_call_t *c);
void sp_call_try_finish(sp_call_t *c);
void sp_call_publish_answered(sp_call_t *c, const char *contact);
/* Answer the caller with the call's own endpoint (ea): 200 OK with its SDP, state answered,
 * call.answered published. -1 (nothing sent) when the SDP cannot be made. */
int sp_call_answer_here(sp_call_t *c);
void sp_call_publish_created(sp_call_t *c, const char *route_kind, const char *route_target);
char *sp_call_body(const sip_t *sip);

/* sp_callmedia.c */
int sp_media(sp_call_t *c, const char *cmd, json_t *args, cc_bus_reply_fn *fn);
/* The call's endpoint with this id (ea or eb), or NULL. */
sp_endpoint_t *sp_media_endpoint(sp_call_t *c, int id);
/* One endpoint facing the caller (caller_side) or a callee; remote: the far party's SDP
 * when already known (set in the same command). ready runs once it exists. */
void sp_media_create(sp_call_t *c, bool caller_side, bool dtmf, const sp_sdp_info_t *remote,
                     void (*ready)(sp_call_t *c));
/* A direct call's two endpoints in one command: the caller's pointed at its offer and
 * connected to the callee's. */
void sp_media_create_pair(sp_call_t *c, void (*ready)(sp_call_t *c));
/* A call sipproxy answers itself (feature codes, monitoring): the codec and
 * telephone-event of the caller's offer, then the caller's endpoint (ready runs once it
 * exists). False when the offer has no usable codec: the call has ended (488). */
bool sp_media_answer_offer(sp_call_t *c, bool dtmf, void (*ready)(sp_call_t *c));
/* The caller's offer (c->offer_info, parsed) under c->srtp_a: whether ea is an SRTP leg.
 * False when it is refused: the call has ended (488, the reason says why). */
bool sp_media_srtp_caller(sp_call_t *c);
/* SDP for the party endpoint e faces: `in` re-pointed at e, or one of our own; RTP/SAVP
 * with e's a=crypto when e is an SRTP leg (answering the crypto line e's party chose, or
 * offering every suite we do), plain RTP/AVP otherwise. As sp_sdp_rewrite/sp_sdp_make. */
char *sp_media_sdp(const sp_endpoint_t *e, const char *in, sp_sdp_info_t *info, const char **why);
char *sp_media_sdp_make(sp_call_t *c, const sp_endpoint_t *e, int pt, int te, sp_sdp_dir_t dir);
void sp_media_delete(sp_call_t *c, bool caller_side);
void sp_media_delete_all(sp_call_t *c);
void sp_media_remote(sp_call_t *c, int ep, const sp_sdp_info_t *info);
void sp_media_connect(sp_call_t *c);
void sp_media_play_stop(sp_call_t *c, int ep);
/* mediad restarted: create the call's endpoints again on their ids and ports; the end is
 * reported to sp_mediad_call_restored. -1 if nothing could be sent. */
int sp_media_restore(sp_call_t *c);

/* sp_mediad.c */
/* A call's restore is over (ok: every endpoint is back). */
void sp_mediad_call_restored(sp_call_t *c, bool ok);

/* sp_fork.c */
/* Resolve targets ("ext:X", "number:N") into dials for c->att. Returns 0, or the SIP code
 * of why nothing can be rung (404 no route, 480 not registered, 501 not servable). */
int sp_fork_resolve_target(sp_call_t *c, const char *target);
/* The SRTP policy of whom a route or a target ("ext:1001", "number:0123") rings: its user's
 * or trunk's, optional when it names neither (or nothing). */
sp_srtp_policy_t sp_fork_route_srtp(sp_proxy_t *p, const cc_route_t *route);
sp_srtp_policy_t sp_fork_target_srtp(sp_proxy_t *p, const char *target);
/* The SRTP policy of the trunk named (optional when there is none). */
sp_srtp_policy_t sp_fork_trunk_srtp(sp_proxy_t *p, const char *trunk);
/* Whether our offer to these targets (a JSON array of target strings) is SRTP: when any of
 * them requires it (one offer goes to all of them). */
bool sp_fork_targets_want_srtp(sp_proxy_t *p, json_t *targets);
int sp_fork_resolve_route(sp_call_t *c, const cc_route_t *route, const char *number,
                          const char *target);
/* Send the INVITEs of c->att (its endpoint is ready). */
void sp_fork_send(sp_call_t *c);
/* An INVITE response on a B leg. */
void sp_fork_response(sp_call_t *c, struct sp_leg *leg, int status, const sip_t *sip);
/* A B leg is gone (terminated) without a final response. */
void sp_fork_leg_failed(sp_call_t *c, struct sp_leg *leg, int status);
/* Stop ringing: CANCEL every unanswered leg of the attempt, report `code`. */
void sp_fork_cancel(sp_call_t *c, int code);
/* The attempt is over without a winner: report it, clean up, end the call if needed. */
void sp_fork_failed(sp_call_t *c, int code, sp_end_cause_t cause);
void sp_fork_reset(sp_call_t *c);
void sp_fork_publish_result(sp_call_t *c, const char *result, int code, const char *target, int ep);

/* sp_reinvite.c */
void sp_reinvite(sp_call_t *c, struct sp_leg *from, const sip_t *sip);
void sp_reinvite_answered(sp_call_t *c, struct sp_leg *leg, int status, const sip_t *sip);
/* Nobody to relay to: answer with our own endpoint, mirroring the offer's direction. */
void sp_reinvite_answer_here(sp_call_t *c, struct sp_leg *from, const sp_sdp_info_t *info,
                             bool have_offer);

/* sp_hold.c */
/* A re-INVITE that holds or resumes: answered here, music started or stopped. False
 * for any other re-INVITE (relayed by the caller). */
bool sp_hold_reinvite(sp_call_t *c, struct sp_leg *from, const sp_sdp_info_t *info);
/* Loop the music `holder` chose (its extension's own, else [sipproxy] hold_music) to
 * held_ep, the endpoint facing the held party. */
void sp_hold_play(sp_call_t *c, const struct sp_leg *holder, int held_ep);
/* Loop extension ext's music on hold (its own, else [sipproxy] hold_music) to ep. */
void sp_hold_music_of(sp_call_t *c, int ep, const char *ext);
/* Loop [sipproxy] hold_music to endpoint ep (the held party, or one waiting for a
 * transfer target). */
void sp_hold_music(sp_call_t *c, int ep);

/* sp_transfer.c */
void sp_transfer_refer(sp_call_t *c, struct sp_leg *from, int status, const sip_t *sip);
void sp_transfer_attended(sp_call_t *c, struct sp_leg *from, const char *url_headers);
/* Blind transfer of c's connected callee (c->winner, who leaves) to a dialplan number, for
 * the party that stays (leg A): a queue/ivr hands the call over again, an ext/trunk is rung
 * with hold music meanwhile. 0 when it goes ahead, else the SIP code refusing it (404 no
 * route, 480 ...), nothing changed. by_refer: the leaving party gets NOTIFY 200 first. */
int sp_transfer_blind(sp_call_t *c, const char *number, bool by_refer);
/* NOTIFY (sipfrag "SIP/2.0 code ...", subscription terminated) for a REFER on leg. */
void sp_transfer_notify(struct sp_leg *leg, int code);
/* Make `leaving` (a party of c) c's connected callee, so that the party that stays is
 * leg A (what sp_transfer_move_leg expects). 0 or -1. */
int sp_transfer_take_a_side(sp_call_t *c, struct sp_leg *leaving);
/* Leg x of call c2 and its endpoint move into c as its connected callee, in place of c's
 * winner, which leaves (BYE; a REFER NOTIFY first when notify_code > 0); c's endpoints are
 * connected; c2 then ends with c2_cause and c2_reason, and is freed at once when it has no
 * leg left (do not touch c2 afterwards). 0, or -1 when out of memory. */
int sp_transfer_move_leg(sp_call_t *c, sp_call_t *c2, struct sp_leg *x, int notify_code,
                         sp_end_cause_t c2_cause, const char *c2_reason);

/* sp_screen.c: screening and calling permissions, before the call is routed */
/* The route a caller-prefix rule gives this call instead of `route` (written into buf),
 * else route itself. */
const cc_route_t *sp_screen_reroute(sp_call_t *c, const cc_route_t *route, cc_route_t *buf);
/* Refuse the call when the caller is blocked or the extension may not dial the number:
 * true when refused (the call is ending, or hears its message first). */
bool sp_screen_refuse(sp_call_t *c, const sip_t *sip, const sp_user_t *user,
                      const cc_route_t *route);
void sp_screen_media_event(sp_call_t *c, const char *type);

/* sp_forward.c */
/* A direct call's route (not a controlled kind) through DND and forwarding, resolved into
 * c->att's dials; r becomes the route finally taken (a vm: diversion leaves a controlled
 * kind, nothing resolved). 0, or the SIP code of why nothing can be rung. */
int sp_forward_resolve(sp_call_t *c, cc_route_t *r, const char *number);
/* Ringing the extension failed with code (486 busy, 408 no answer, others unavailable):
 * true when the call went on to a forwarding target (or ended trying). */
bool sp_forward_failed(sp_call_t *c, int code);
/* c dialled a feature code: *78 and *79 DND on/off, *72<number> and *73 forward always on/off are
 * stored (pbx_user_settings, through sp_db): 1 done, -1 refused, 0 not one of these. */
int sp_forward_feature(sp_call_t *c);

/* sp_info.c */
/* An INFO in a leg's dialog: a key (200, passed to mediad) or 415/400. */
void sp_info(sp_call_t *c, struct sp_leg *leg, const sip_t *sip);

/* sp_callpickup.c */
/* c dialled *8 or **EXT (a registered phone): take the oldest call ringing a phone of its
 * pickup group, or that extension. Nothing to take: the call ends with 404. */
void sp_callpickup_start(sp_call_t *c, int mode, const char *ext);

/* sp_callpark.c */
/* A blind transfer of c by `from` to `number`: true when that is the park number (the call
 * was parked, or the REFER refused with a NOTIFY saying why), false otherwise. */
bool sp_callpark_refer(sp_call_t *c, struct sp_leg *from, const char *number);
/* c dialled `number`: true when it is a park slot (the parked call is taken, or c ends
 * with 404 when the slot is empty). */
bool sp_callpark_retrieve(sp_call_t *c, const char *number);
/* A mediad event of a parked call: true when taken care of here. */
bool sp_callpark_media_event(sp_call_t *c, const char *type, json_t *body);
/* The parker's leg (the winner while its slot is read out) left: true when that was
 * the parker, who leaves the call parked. */
bool sp_callpark_leg_left(sp_call_t *c, struct sp_leg *leg);
/* Ringing the parker back: it answered (the call leaves its slot), or failed (ends). */
void sp_callpark_answered(sp_call_t *c);
void sp_callpark_return_failed(sp_call_t *c, int code);
/* c is ending: its slot is freed. */
void sp_callpark_call_ending(sp_call_t *c);
/* The parked calls, for status: [{slot, call_id, parker, parked, seconds}]. */
json_t *sp_callpark_list(sp_proxy_t *p);

/* sp_feature.c */
/* "*45", "*46", "*471", "*48" -> code "45".., digits "" or the pause reason digit. */
bool sp_feature_match(const char *dialled, char *code, size_t codelen, char *digits,
                      size_t digitslen);
void sp_feature_start(sp_call_t *c, const char *code, const char *digits);
void sp_feature_media_event(sp_call_t *c, const char *type);

/* sp_monitor.c */
typedef enum {
    SP_MONITOR_LISTEN = 1,
    SP_MONITOR_WHISPER,
    SP_MONITOR_BARGE,
} sp_monitor_mode_t;
/* "*22" + extension -> listen, "*23" whisper, "*24" barge; false for anything else. */
bool sp_monitor_match(const char *dialled, sp_monitor_mode_t *mode, char *ext, size_t extlen);
void sp_monitor_start(sp_call_t *c, sp_monitor_mode_t mode, const char *agent);
/* A mediad event about a supervisor's call (keys switch modes). */
void sp_monitor_media_event(sp_call_t *c, const char *type, json_t *body);
/* c is ending: as a supervisor's call its mix goes; as a monitored call its supervisors'
 * calls end. */
void sp_monitor_call_ending(sp_call_t *c);
/* mediad restarted and c's endpoints are back: a supervisor's session ends. */
void sp_monitor_media_restored(sp_call_t *c);
/* Registers call.monitor (the web console's way in). */
void sp_monitor_attach(sp_proxy_t *p);

/* sp_threeway.c */
/* c (the *33 call) asks to merge its caller's two answered calls into a three-way call.
 * 0, or -1 when they are not exactly two (logged). */
int sp_threeway_merge(sp_call_t *c);
/* A leg of a merged call is leaving (BYE). True when this took care of it: the merging
 * party left, and the other two stay connected in one call. */
bool sp_threeway_leg_left(sp_call_t *c, struct sp_leg *leg);
/* c is ending: its partner goes back to a plain call. */
void sp_threeway_call_ending(sp_call_t *c);

/* sp_callctl.c */
void sp_callctl_attach(sp_proxy_t *p);
/* The caller's endpoint of a call routed to ivr:/queue: is ready: hand the call over. */
void sp_callctl_handover(sp_call_t *c);
/* Route kinds a controller drives (ivr, queue, conf), and which daemon that is. */
bool sp_callctl_controlled(cc_target_kind_t kind);
const char *sp_callctl_controller(cc_target_kind_t kind);
/* The connected callee of an on_callee_hangup=return attempt left. */
void sp_callctl_callee_left(sp_call_t *c, const char *reason);
/* call.originate's work once its arguments are checked (sp_callargs): a new call whose
 * first leg is rung. fn(call, arg) runs once the call exists and call.created is out, before
 * its endpoint is asked for (which may end it at once). Returns the call, which may have
 * ended already (test it against NULL only), or NULL when out of memory (fn never ran). */
typedef void(sp_originated_fn)(sp_call_t *c, void *arg);
sp_call_t *sp_callctl_originate(sp_proxy_t *p, json_t *args, sp_originated_fn *fn, void *arg);

/* sp_callctl_xfer.c: call.hold, call.resume, call.transfer, call.consult* */
void sp_callctl_xfer_attach(sp_proxy_t *p);
/* Whether extension ext is a party of c (sp_ctlparty.c's rule). */
bool sp_callctl_is_party(const sp_call_t *c, const char *ext);
/* A consultation call's target answered (c is the consultation call). */
void sp_callctl_consult_answered(sp_call_t *c);
/* c is ending and is a consultation call or has one: the other one learns it. */
void sp_callctl_consult_ending(sp_call_t *c);

#endif
