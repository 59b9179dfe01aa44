// SettingsDialog: language and theme, applied the moment they change and kept in QSettings.
#pragma once

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(QWidget *parent = nullptr);

    QComboBox *languageCombo() const { return m_language; }

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();

    QLabel *m_languageLabel;
    QComboBox *m_language;
    QLabel *m_languageHint;
    QLabel *m_themeLabel;
    QComboBox *m_theme;
    QLabel *m_cacheLabel;
    QLabel *m_cachePath;
    QDialogButtonBox *m_buttons;
};
