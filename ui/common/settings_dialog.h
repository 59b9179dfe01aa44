// SettingsDialog: language, theme and memory for models, applied the moment they change and kept
// in QSettings.
#pragma once

#include <QDialog>

class QComboBox;
class QDoubleSpinBox;
class QDialogButtonBox;
class QLabel;

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(QWidget *parent = nullptr);

    QComboBox *languageCombo() const { return m_language; }
    QDoubleSpinBox *modelMemorySpin() const { return m_memory; } // GB

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();

    QLabel *m_languageLabel;
    QComboBox *m_language;
    QLabel *m_languageHint;
    QLabel *m_themeLabel;
    QComboBox *m_theme;
    QLabel *m_memoryLabel;
    QDoubleSpinBox *m_memory;
    QLabel *m_memoryHint;
    QLabel *m_cacheLabel;
    QLabel *m_cachePath;
    QDialogButtonBox *m_buttons;
};
